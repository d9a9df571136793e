"""The shipped pipeline templates install with the right stages in both languages."""

from __future__ import annotations

import itertools

import pytest

from salesflow.core.errors import ValidationFailed
from salesflow.core.services import create_workspace
from salesflow.pipeline.models import LostReason, Pipeline
from salesflow.pipeline.services.pipelines import install_template
from tests.conftest import PASSWORD, World
from tests.services.support import error_fields

_workspaces = itertools.count(1)

# (name, kind) of every stage in order, typed from the seed documents.
EXPECTED = {
    ("b2b7", "zh-hans"): (
        "B2B 七阶段销售流程",
        [
            ("潜在客户获取", "open"),
            ("初步接触", "open"),
            ("需求分析", "open"),
            ("方案/报价", "open"),
            ("谈判", "open"),
            ("签约", "won"),
            ("售后服务", "won"),
            ("已输单", "lost"),
        ],
    ),
    ("b2b7", "en"): (
        "B2B seven-stage sales process",
        [
            ("Prospecting", "open"),
            ("Initial contact", "open"),
            ("Needs analysis", "open"),
            ("Proposal / quote", "open"),
            ("Negotiation", "open"),
            ("Signed", "won"),
            ("After-sales service", "won"),
            ("Lost", "lost"),
        ],
    ),
    ("funnel4", "zh-hans"): (
        "四阶段销售漏斗",
        [
            ("潜在客户", "open"),
            ("意向客户", "open"),
            ("成交客户", "won"),
            ("维护客户", "won"),
            ("已输单", "lost"),
        ],
    ),
    ("funnel4", "en"): (
        "Four-stage sales funnel",
        [
            ("Prospect", "open"),
            ("Interested", "open"),
            ("Closed", "won"),
            ("Retained", "won"),
            ("Lost", "lost"),
        ],
    ),
    ("consultative", "zh-hans"): (
        "顾问式销售流程",
        [
            ("勘探", "open"),
            ("资格审查", "open"),
            ("诊断", "open"),
            ("提案", "open"),
            ("谈判", "open"),
            ("成交", "won"),
            ("监控与售后", "won"),
            ("已输单", "lost"),
        ],
    ),
    ("consultative", "en"): (
        "Consultative sales process",
        [
            ("Prospecting", "open"),
            ("Qualification", "open"),
            ("Diagnosis", "open"),
            ("Proposal", "open"),
            ("Negotiation", "open"),
            ("Closing", "won"),
            ("Monitoring and after-sales", "won"),
            ("Lost", "lost"),
        ],
    ),
}

LOST_REASONS = {
    "zh-hans": [
        "价格太高",
        "选择了竞争对手",
        "没有预算",
        "需求取消或推迟",
        "联系不上客户",
        "产品不满足需求",
    ],
    "en": [
        "Price too high",
        "Chose a competitor",
        "No budget",
        "Need cancelled or postponed",
        "Could not reach the customer",
        "Product does not fit the need",
    ],
}


@pytest.mark.parametrize(("template", "language"), list(EXPECTED))
def test_a_new_workspace_gets_the_template_in_its_language(
    db: None, template: str, language: str
) -> None:
    # given nothing
    # when a workspace is created with this template and language
    admin = create_workspace(
        f"Template test {next(_workspaces)}",
        admin_username=f"template-admin-{next(_workspaces)}",
        admin_password=PASSWORD,
        template=template,
        language=language,
    )

    # then it has one default pipeline with the template's stages in order, with their kinds
    name, stages = EXPECTED[(template, language)]
    pipeline = Pipeline.objects.get(workspace_id=admin.workspace_id)
    assert (pipeline.name, pipeline.is_default) == (name, True)
    installed = list(pipeline.stages.order_by("position"))
    assert [(s.name, s.kind) for s in installed] == stages
    assert [s.position for s in installed] == list(range(1, len(stages) + 1))

    # and the open stages' probabilities rise strictly, won stages are 100, lost is 0
    open_probabilities = [s.probability for s in installed if s.kind == "open"]
    assert open_probabilities == sorted(set(open_probabilities))
    assert all(0 < p < 100 for p in open_probabilities)
    assert {s.probability for s in installed if s.kind == "won"} == {100}
    assert {s.probability for s in installed if s.kind == "lost"} == {0}

    # and every open stage says what it must achieve, in the workspace's language
    assert all(s.goal for s in installed if s.kind != "lost")

    # and the lost reasons are the workspace's, in its language and order
    reasons = LostReason.objects.filter(workspace_id=admin.workspace_id).order_by("position")
    assert list(reasons.values_list("name", flat=True)) == LOST_REASONS[language]


def test_b2b7_stage_details_follow_the_seed_documents(db: None) -> None:
    # given a Chinese workspace on the b2b7 template
    admin = create_workspace(
        "Seed check", admin_username="seed-admin", admin_password=PASSWORD, language="zh-hans"
    )

    # when its stages are read
    stages = list(Pipeline.objects.get(workspace_id=admin.workspace_id).stages.order_by("position"))

    # then probabilities are 5, 10, 20, 40, 60 along the open stages, and the exit criteria
    # ask for what each stage should have produced
    assert [s.probability for s in stages] == [5, 10, 20, 40, 60, 100, 100, 0]
    assert [s.exit_fields for s in stages[:5]] == [
        ["contact"],
        ["next_step"],
        ["amount", "expected_close_date"],
        ["amount", "expected_close_date", "contact"],
        ["amount", "expected_close_date"],
    ]
    assert stages[2].exit_checklist == ["预算已确认", "决策人已确认"]


def test_installing_a_second_template_reuses_the_lost_reasons(world: World) -> None:
    # given an English workspace on b2b7 (6 lost reasons, one pipeline)
    # when the admin installs funnel4 in English too
    pipeline = install_template(world.admin, "funnel4", language="en")

    # then there are two pipelines, b2b7 still the default, and still 6 lost reasons
    pipelines = Pipeline.objects.filter(workspace_id=world.admin.workspace_id)
    assert pipelines.count() == 2
    assert pipelines.get(is_default=True).name == "B2B seven-stage sales process"
    assert pipeline.stages.count() == 5
    assert LostReason.objects.filter(workspace_id=world.admin.workspace_id).count() == 6


def test_an_unknown_template_is_refused(world: World) -> None:
    with pytest.raises(ValidationFailed) as refused:
        install_template(world.admin, "waterfall", language="en")
    assert error_fields(refused.value) == ["template"]
    assert Pipeline.objects.filter(workspace_id=world.admin.workspace_id).count() == 1

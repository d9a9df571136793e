"""Pipeline templates offered when a workspace is created, from the seed documents.

Each text is given in both shipped languages; the workspace's language picks one when the
template is installed, after which the stages are the workspace's own data to edit.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class T:
    """A text in both shipped languages."""

    zh: str
    en: str

    def get(self, language: str) -> str:
        return self.zh if language.startswith("zh") else self.en


@dataclass(frozen=True)
class StageTemplate:
    name: T
    kind: str = "open"
    probability: int = 10
    expected_days: int = 14
    goal: T = T("", "")
    exit_fields: tuple[str, ...] = ()
    exit_checklist: tuple[T, ...] = ()
    role: T = T("", "")
    activities: T = T("", "")
    materials: T = T("", "")
    output: T = T("", "")


@dataclass(frozen=True)
class PipelineTemplate:
    key: str
    name: T
    stages: tuple[StageTemplate, ...]
    lost_reasons: tuple[T, ...] = field(default=())


LOST_REASONS = (
    T("价格太高", "Price too high"),
    T("选择了竞争对手", "Chose a competitor"),
    T("没有预算", "No budget"),
    T("需求取消或推迟", "Need cancelled or postponed"),
    T("联系不上客户", "Could not reach the customer"),
    T("产品不满足需求", "Product does not fit the need"),
)

REP = T("销售代表", "Sales rep")
LOST = StageTemplate(name=T("已输单", "Lost"), kind="lost", probability=0, expected_days=0)

B2B7 = PipelineTemplate(
    key="b2b7",
    name=T("B2B 七阶段销售流程", "B2B seven-stage sales process"),
    stages=(
        StageTemplate(
            name=T("潜在客户获取", "Prospecting"),
            probability=5,
            expected_days=7,
            goal=T(
                "通过线上广告、社交媒体、展会等渠道获取高质量的潜在客户,并了解其基本需求和痛点。",
                "Gather high-quality prospects from ads, social media and trade shows, "
                "and learn their basic needs and pain points.",
            ),
            exit_fields=("contact",),
            exit_checklist=(T("客户资料已收集", "Customer profile collected"),),
            role=REP,
            activities=T(
                "市场调研;收集客户资料;筛选符合目标客户画像的线索",
                "Market research; collect customer data; keep prospects that fit the profile",
            ),
            materials=T("目标客户画像、行业名录、展会名单", "Ideal customer profile, directories"),
            output=T("合格的潜在客户名单及联系人", "A qualified prospect with a contact person"),
        ),
        StageTemplate(
            name=T("初步接触", "Initial contact"),
            probability=10,
            expected_days=7,
            goal=T(
                "通过电话、邮件或面谈与潜在客户建立联系,了解基本需求,评估购买意向,建立初步信任。",
                "Reach the prospect by phone, email or meeting, learn the basic need, "
                "judge the intent to buy and build first trust.",
            ),
            exit_fields=("next_step",),
            exit_checklist=(T("已确认购买意向", "Intent to buy confirmed"),),
            role=REP,
            activities=T("电话或邮件联系;首次拜访;介绍公司", "Call or email; first visit"),
            materials=T("公司介绍、电话脚本", "Company introduction, call script"),
            output=T("初步需求记录和下一步约定", "First need noted and a next step agreed"),
        ),
        StageTemplate(
            name=T("需求分析", "Needs analysis"),
            probability=20,
            expected_days=14,
            goal=T(
                "深入了解客户的具体需求和问题(预算、决策人、需求、时间),引导客户认同我们的产品或服务。",
                "Understand the customer's concrete needs (budget, authority, need, timeline) "
                "and lead them to value our product or service.",
            ),
            exit_fields=("amount", "expected_close_date"),
            exit_checklist=(
                T("预算已确认", "Budget confirmed"),
                T("决策人已确认", "Decision maker identified"),
            ),
            role=T("销售代表,售前顾问协助", "Sales rep with a presales consultant"),
            activities=T("需求调研会;技术交流;现场考察", "Discovery meetings; technical visit"),
            materials=T("需求调研问卷、成功案例", "Discovery questionnaire, case studies"),
            output=T("需求分析报告", "Needs analysis report"),
        ),
        StageTemplate(
            name=T("方案/报价", "Proposal / quote"),
            probability=40,
            expected_days=14,
            goal=T(
                "根据客户需求提供详细的解决方案和报价,让客户看到价值并达成初步意向。",
                "Present a tailored solution and quote so the customer sees the value "
                "and agrees in principle.",
            ),
            exit_fields=("amount", "expected_close_date", "contact"),
            exit_checklist=(T("方案已提交客户", "Proposal sent to the customer"),),
            role=T("销售代表,售前顾问", "Sales rep, presales consultant"),
            activities=T("撰写方案;产品演示;报价", "Write the proposal; demo; quote"),
            materials=T("方案模板、价格表、演示环境", "Proposal template, price list, demo"),
            output=T("方案书和正式报价", "Proposal and formal quote"),
        ),
        StageTemplate(
            name=T("谈判", "Negotiation"),
            probability=60,
            expected_days=14,
            goal=T(
                "与客户详细谈判,处理异议,在价格、付款和交付条件上达成最终协议。",
                "Negotiate terms, overcome objections and agree price, payment and delivery.",
            ),
            exit_fields=("amount", "expected_close_date"),
            exit_checklist=(
                T("商务条款已达成一致", "Commercial terms agreed"),
                T("合同已审批", "Contract approved internally"),
            ),
            role=T("销售代表,销售经理", "Sales rep, sales manager"),
            activities=T("商务谈判;合同评审", "Negotiation meetings; contract review"),
            materials=T("合同模板、折扣审批流程", "Contract template, discount approval"),
            output=T("双方认可的合同文本", "A contract text both sides accept"),
        ),
        StageTemplate(
            name=T("签约", "Signed"),
            kind="won",
            probability=100,
            expected_days=7,
            goal=T(
                "签署正式合同,明确双方权利和义务,启动订单执行。",
                "Sign the contract, settle both sides' obligations and start the order.",
            ),
            role=T("销售代表,法务", "Sales rep, legal"),
            activities=T("签署合同;下单;交接实施", "Sign; place the order; hand over"),
            materials=T("正式合同、订单", "Signed contract, order"),
            output=T("已签署的合同", "A signed contract"),
        ),
        StageTemplate(
            name=T("售后服务", "After-sales service"),
            kind="won",
            probability=100,
            expected_days=90,
            goal=T(
                "提供及时高效的售后服务,回访客户,提升满意度,促进再次购买和口碑传播。",
                "Serve the customer well, follow up, raise satisfaction and win repeat business.",
            ),
            role=T("客户成功经理", "Customer success manager"),
            activities=T("回访;满意度调查;续约和增购", "Follow-up calls; surveys; upsell"),
            materials=T("满意度问卷、服务手册", "Satisfaction survey, service handbook"),
            output=T("满意度评分和二次销售机会", "A satisfaction score and repeat opportunities"),
        ),
        LOST,
    ),
    lost_reasons=LOST_REASONS,
)

FUNNEL4 = PipelineTemplate(
    key="funnel4",
    name=T("四阶段销售漏斗", "Four-stage sales funnel"),
    stages=(
        StageTemplate(
            name=T("潜在客户", "Prospect"),
            probability=10,
            expected_days=14,
            goal=T(
                "对产品感兴趣但尚未深入了解的客户:挖掘需求,初步沟通。",
                "Interested but not yet informed: find the need and make first contact.",
            ),
            exit_fields=("contact",),
            exit_checklist=(T("已了解客户需求", "Customer need understood"),),
            role=REP,
            activities=T("市场调研;电话、邮件、社交媒体初步沟通", "Research; first calls"),
            materials=T("产品介绍", "Product introduction"),
            output=T("明确的客户需求", "A clear customer need"),
        ),
        StageTemplate(
            name=T("意向客户", "Interested"),
            probability=40,
            expected_days=21,
            goal=T(
                "客户对产品有一定了解并表示出购买意愿:演示产品、解答疑虑、推动成交。",
                "The customer knows the product and wants to buy: demo, answer doubts, close.",
            ),
            exit_fields=("amount", "expected_close_date"),
            exit_checklist=(T("已完成产品演示", "Product demonstrated"),),
            role=REP,
            activities=T("产品演示、培训活动;提供解决方案", "Demos and trainings; a solution"),
            materials=T("演示环境、解决方案", "Demo environment, solution paper"),
            output=T("购买协议", "A purchase agreement"),
        ),
        StageTemplate(
            name=T("成交客户", "Closed"),
            kind="won",
            probability=100,
            expected_days=14,
            goal=T(
                "协助客户完成订单,确保交易顺利进行。",
                "Help the customer complete the order and make the transaction smooth.",
            ),
            role=REP,
            activities=T("下单、交付、收集反馈", "Order, deliver, collect feedback"),
            output=T("完成的订单", "A completed order"),
        ),
        StageTemplate(
            name=T("维护客户", "Retained"),
            kind="won",
            probability=100,
            expected_days=180,
            goal=T(
                "定期沟通,提供个性化服务,挖掘需求,实现二次销售。",
                "Keep in touch, serve personally, find new needs and sell again.",
            ),
            role=T("客户成功经理", "Customer success manager"),
            activities=T("定期回访;客户活动", "Regular check-ins; customer events"),
            output=T("二次销售机会", "Repeat sales opportunities"),
        ),
        LOST,
    ),
    lost_reasons=LOST_REASONS,
)

CONSULTATIVE = PipelineTemplate(
    key="consultative",
    name=T("顾问式销售流程", "Consultative sales process"),
    stages=(
        StageTemplate(
            name=T("勘探", "Prospecting"),
            probability=5,
            expected_days=10,
            goal=T(
                "通过外呼或内容营销引起潜在客户的兴趣,确认其符合客户画像,找到决策人。",
                "Spark interest by outbound or inbound work, check the fit, find who decides.",
            ),
            exit_fields=("contact",),
            role=T("销售开发代表", "Sales development rep"),
            activities=T("预审资格脚本;联系人名单", "Pre-qualification script; contact lists"),
            output=T("符合画像的潜在客户", "A prospect that fits the profile"),
        ),
        StageTemplate(
            name=T("资格审查", "Qualification"),
            probability=15,
            expected_days=10,
            goal=T(
                "用 BANT(预算、权力、需求、时间)确认客户是否合格:至少满足三项。",
                "Qualify with BANT (budget, authority, need, timeline): at least three must hold.",
            ),
            exit_checklist=(
                T("预算", "Budget"),
                T("权力", "Authority"),
                T("需求", "Need"),
                T("时间", "Timeline"),
            ),
            role=T("销售开发代表", "Sales development rep"),
            activities=T("资格审查通话", "Qualification call"),
            output=T("合格的商机", "A qualified opportunity"),
        ),
        StageTemplate(
            name=T("诊断", "Diagnosis"),
            probability=30,
            expected_days=21,
            goal=T(
                "验证资格信息,深入了解客户的情景和挑战,找出问题根源。",
                "Verify the qualification and find the root of the customer's problem.",
            ),
            exit_fields=("amount",),
            role=T("客户经理,技术专家", "Account executive, technical expert"),
            activities=T("多次会议;技术访问", "Several meetings; technical visits"),
            materials=T("诊断问卷", "Diagnosis questionnaire"),
            output=T("诊断报告", "Diagnosis report"),
        ),
        StageTemplate(
            name=T("提案", "Proposal"),
            probability=50,
            expected_days=14,
            goal=T(
                "基于诊断构建个性化方案,展示产品价值,确定正确的范围。",
                "Build a tailored proposal from the diagnosis, show the value, set the scope.",
            ),
            exit_fields=("amount", "expected_close_date"),
            role=T("客户经理", "Account executive"),
            activities=T("演示;提案会议", "Presentation; proposal meeting"),
            materials=T("成功案例、提案模板", "Case studies, proposal template"),
            output=T("提案", "A proposal"),
        ),
        StageTemplate(
            name=T("谈判", "Negotiation"),
            probability=70,
            expected_days=14,
            goal=T(
                "准备充分的论据,克服异议,判断哪些让步真正必要且可行。",
                "Overcome objections and judge which concessions are truly needed.",
            ),
            exit_fields=("amount", "expected_close_date"),
            role=T("客户经理,销售经理", "Account executive, sales manager"),
            activities=T("商务谈判", "Negotiation"),
            output=T("达成一致的条款", "Agreed terms"),
        ),
        StageTemplate(
            name=T("成交", "Closing"),
            kind="won",
            probability=100,
            expected_days=7,
            goal=T(
                "签署合同,协调对交付期限、支持渠道和服务负责人的期望。",
                "Sign and align expectations on deadlines, support channels and ownership.",
            ),
            role=T("客户经理", "Account executive"),
            output=T("已签署的合同", "A signed contract"),
        ),
        StageTemplate(
            name=T("监控与售后", "Monitoring and after-sales"),
            kind="won",
            probability=100,
            expected_days=90,
            goal=T(
                "持续跟进,保证项目结果,提升客户满意度。",
                "Stay close to guarantee the results and the customer's satisfaction.",
            ),
            role=T("客户成功经理", "Customer success manager"),
            output=T("客户满意度", "Customer satisfaction"),
        ),
        LOST,
    ),
    lost_reasons=LOST_REASONS,
)

TEMPLATES: dict[str, PipelineTemplate] = {t.key: t for t in (B2B7, FUNNEL4, CONSULTATIVE)}

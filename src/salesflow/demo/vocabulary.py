"""Word lists the demo generator draws from, each text in Chinese and English.

Kept in the code rather than taken from a fake-data library so that a seed gives the same
data on every install: a library upgrade that changes its lists would silently change the demo.
Chinese words carry their pinyin, which builds e-mail addresses and web domains.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Word:
    """A Chinese word, its pinyin (lower case, no tones) and its English rendering."""

    zh: str
    pinyin: str
    en: str = ""

    def text(self, chinese: bool) -> str:
        return self.zh if chinese else (self.en or self.pinyin.title())


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _words(pairs: str) -> tuple[Word, ...]:
    """Parse "汉字:pinyin 汉字:pinyin ..." into words."""
    return tuple(Word(*item.split(":")) for item in pairs.split())


# The commonest surnames, most frequent first (the generator weights them by rank).
SURNAMES = _words(
    "王:wang 李:li 张:zhang 刘:liu 陈:chen 杨:yang 黄:huang 赵:zhao 吴:wu 周:zhou "
    "徐:xu 孙:sun 马:ma 朱:zhu 胡:hu 郭:guo 何:he 高:gao 林:lin 罗:luo 郑:zheng 梁:liang "
    "谢:xie 宋:song 唐:tang 许:xu 韩:han 冯:feng 邓:deng 曹:cao 彭:peng 曾:zeng 肖:xiao "
    "田:tian 董:dong 袁:yuan 潘:pan 于:yu 蒋:jiang 蔡:cai 余:yu 杜:du 叶:ye 程:cheng "
    "苏:su 魏:wei 吕:lv 丁:ding 任:ren 沈:shen 姚:yao 卢:lu 姜:jiang 崔:cui 钟:zhong "
    "谭:tan 陆:lu 汪:wang 范:fan 金:jin 石:shi 廖:liao 贾:jia 夏:xia 韦:wei 方:fang "
    "白:bai 邹:zou 孟:meng 熊:xiong 秦:qin 邱:qiu 江:jiang 尹:yin 薛:xue 段:duan 雷:lei "
    "侯:hou 龙:long 史:shi 陶:tao 黎:li 贺:he 顾:gu 毛:mao 郝:hao 龚:gong 邵:shao 万:wan "
    "钱:qian 严:yan 武:wu 戴:dai 莫:mo 孔:kong 向:xiang 汤:tang"
)

GIVEN_CHARACTERS = _words(
    "伟:wei 芳:fang 娜:na 敏:min 静:jing 丽:li 强:qiang 磊:lei 军:jun 洋:yang 勇:yong "
    "艳:yan 杰:jie 娟:juan 涛:tao 明:ming 超:chao 秀:xiu 霞:xia 平:ping 刚:gang 英:ying "
    "华:hua 玉:yu 文:wen 辉:hui 建:jian 国:guo 红:hong 晓:xiao 海:hai 鹏:peng 飞:fei "
    "宇:yu 浩:hao 婷:ting 雪:xue 琳:lin 欣:xin 怡:yi 佳:jia 嘉:jia 子:zi 梓:zi 轩:xuan "
    "博:bo 涵:han 思:si 雨:yu 晨:chen 阳:yang 昊:hao 然:ran 天:tian 志:zhi 永:yong "
    "春:chun 立:li 斌:bin 峰:feng 亮:liang 凯:kai 健:jian 俊:jun 悦:yue 倩:qian 颖:ying "
    "璐:lu 丹:dan 蕾:lei 萍:ping 玲:ling 燕:yan 琴:qin 云:yun 梅:mei 兰:lan 宁:ning "
    "东:dong 波:bo 彬:bin 鑫:xin 成:cheng 振:zhen 慧:hui 岚:lan 诗:shi 航:hang 帆:fan"
)

ENGLISH_FIRST_NAMES = _names(
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Susan "
    "Richard Jessica Joseph Sarah Thomas Karen Daniel Lisa Matthew Nancy Anthony Sandra Mark "
    "Emily Steven Ashley Andrew Michelle Paul Laura Kevin Rebecca Brian Emma Oliver Sophie "
    "Lucas Chloe Henry Grace Jack Hannah Ethan Olivia Noah Amelia Leo Isabella Adam Julia"
)

ENGLISH_LAST_NAMES = _names(
    "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore "
    "Martin Jackson Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright "
    "Scott Green Baker Adams Nelson Hill Campbell Mitchell Roberts Carter Phillips Evans Turner "
    "Parker Collins Edwards Stewart Morris Murphy Cook Rogers Morgan Cooper Peterson Reed Bailey"
)

# Brand words for Chinese company names.
BRANDS = _words(
    "华信:huaxin 宏远:hongyuan 金诚:jincheng 鼎盛:dingsheng 恒通:hengtong 瑞丰:ruifeng "
    "天成:tiancheng 新锐:xinrui 中科:zhongke 博远:boyuan 汇通:huitong 盛世:shengshi "
    "永泰:yongtai 嘉禾:jiahe 东方:dongfang 海川:haichuan 星辰:xingchen 联创:lianchuang "
    "智达:zhida 卓越:zhuoyue 远航:yuanhang 佳和:jiahe 华升:huasheng 同创:tongchuang "
    "鸿基:hongji 锦程:jincheng 启明:qiming 蓝海:lanhai 恒瑞:hengrui 德润:derun 正泰:zhengtai "
    "天润:tianrun 康达:kangda 方圆:fangyuan 泰和:taihe 万嘉:wanjia 中恒:zhongheng "
    "凯瑞:kairui 亿达:yida 华康:huakang 明德:mingde 安盛:ansheng 润泽:runze 信达:xinda "
    "伟业:weiye 宏图:hongtu 创远:chuangyuan 晨光:chenguang 九州:jiuzhou 长青:changqing "
    "融通:rongtong 新元:xinyuan 和信:hexin 泰康:taikang 科瑞:kerui 银河:yinhe 中联:zhonglian "
    "普华:puhua 聚源:juyuan 众诚:zhongcheng 天宇:tianyu 金鼎:jinding 华泰:huatai 远景:yuanjing "
    "领航:linghang 优品:youpin 宝丰:baofeng 通达:tongda 易联:yilian 云帆:yunfan 光明:guangming "
    "博雅:boya 思源:siyuan 立信:lixin 海纳:haina 国泰:guotai 万通:wantong 兴业:xingye "
    "祥和:xianghe 精工:jinggong 鑫源:xinyuan 华瑞:huarui 飞扬:feiyang 百川:baichuan"
)

# Brand words for English company names.
ENGLISH_BRANDS = _names(
    "Northwind Bluewater Summit Pioneer Evergreen Silverline Redwood Horizon Apex Crescent "
    "Harbor Granite Maple Orion Vertex Atlas Beacon Cedar Falcon Keystone Lighthouse Meridian "
    "Nimbus Oakridge Pinnacle Quantum Riverside Sterling Trident Unity Vanguard Westbrook "
    "Zenith Aurora Cobalt Everest Frontier Ironwood Juniper"
)


@dataclass(frozen=True)
class Industry:
    """An industry and the words a company in it puts in its name."""

    name: Word
    name_words: tuple[Word, ...]
    domain_word: str
    weight: int


INDUSTRIES = (
    Industry(
        Word("信息技术", "it", "Information technology"),
        _words("科技:keji:Technologies 软件:ruanjian:Software 网络科技:wangluo:Networks"),
        "tech",
        18,
    ),
    Industry(
        Word("制造业", "zhizao", "Manufacturing"),
        _words(
            "机械:jixie:Machinery 电子:dianzi:Electronics "
            "精密制造:jingmi:Precision 新材料:cailiao:Materials"
        ),
        "mfg",
        20,
    ),
    Industry(
        Word("金融", "jinrong", "Finance"),
        _words("投资:touzi:Capital 金融服务:jinrong:Financial 融资租赁:zulin:Leasing"),
        "capital",
        7,
    ),
    Industry(
        Word("医疗健康", "yiliao", "Healthcare"),
        _words("医疗器械:yiliao:Medical 生物科技:shengwu:Biotech 医药:yiyao:Pharma"),
        "health",
        9,
    ),
    Industry(
        Word("教育", "jiaoyu", "Education"),
        _words("教育科技:jiaoyu:Education 培训:peixun:Learning"),
        "edu",
        6,
    ),
    Industry(
        Word("零售", "lingshou", "Retail"),
        _words("商贸:shangmao:Trading 百货:baihuo:Stores 电子商务:dianshang:Commerce"),
        "retail",
        10,
    ),
    Industry(
        Word("物流", "wuliu", "Logistics"),
        _words("物流:wuliu:Logistics 供应链:gongying:Supply 国际货运:huoyun:Freight"),
        "logistics",
        8,
    ),
    Industry(
        Word("房地产", "fangdichan", "Real estate"),
        _words("置业:zhiye:Properties 地产:dichan:Realty 物业管理:wuye:Estates"),
        "property",
        5,
    ),
    Industry(
        Word("能源", "nengyuan", "Energy"),
        _words("新能源:xinnengyuan:Energy 电力工程:dianli:Power"),
        "energy",
        5,
    ),
    Industry(
        Word("汽车", "qiche", "Automotive"),
        _words("汽车零部件:qiche:Automotive 汽车服务:qichefuwu:Motors"),
        "auto",
        5,
    ),
    Industry(
        Word("食品餐饮", "shipin", "Food and beverage"),
        _words("食品:shipin:Foods 餐饮管理:canyin:Dining"),
        "food",
        4,
    ),
    Industry(
        Word("专业服务", "zhuanye", "Professional services"),
        _words("管理咨询:zixun:Consulting 人力资源:renli:Staffing"),
        "consulting",
        3,
    ),
)


@dataclass(frozen=True)
class City:
    """A city a sales team covers: province, telephone area code, and a few road names."""

    name: Word
    province: Word
    area_code: str

    def region(self, chinese: bool) -> str:
        if not chinese:
            if self.province.zh == self.name.zh:
                return self.name.text(False)
            return f"{self.name.text(False)}, {self.province.text(False)}"
        if self.province.zh == self.name.zh:
            return self.name.zh
        return self.province.zh + self.name.zh


def _city(zh: str, pinyin: str, province_zh: str, province_pinyin: str, area: str) -> City:
    return City(Word(zh + "市", pinyin), Word(province_zh, province_pinyin), area)


def _municipality(zh: str, pinyin: str, area: str) -> City:
    word = Word(zh + "市", pinyin)
    return City(word, word, area)


@dataclass(frozen=True)
class CityTeam:
    """A sales team named after its home city, covering that city and its neighbours."""

    name: Word
    cities: tuple[City, ...]


@dataclass(frozen=True)
class SalesRegion:
    name: Word
    teams: tuple[CityTeam, ...]


def _team(zh: str, en: str, *cities: City) -> CityTeam:
    return CityTeam(Word(zh + "组", "", en + " team"), cities)


SHANGHAI = _municipality("上海", "shanghai", "021")
BEIJING = _municipality("北京", "beijing", "010")
TIANJIN = _municipality("天津", "tianjin", "022")
CHONGQING = _municipality("重庆", "chongqing", "023")
ZHEJIANG = ("浙江省", "zhejiang")
JIANGSU = ("江苏省", "jiangsu")
GUANGDONG = ("广东省", "guangdong")
SHANDONG = ("山东省", "shandong")

# Regions in the order a growing company opens them; the scale decides how many are used.
SALES_REGIONS = (
    SalesRegion(
        Word("华东区", "huadong", "East China"),
        (
            _team("上海", "Shanghai", SHANGHAI, _city("苏州", "suzhou", *JIANGSU, "0512")),
            _team(
                "杭州",
                "Hangzhou",
                _city("杭州", "hangzhou", *ZHEJIANG, "0571"),
                _city("宁波", "ningbo", *ZHEJIANG, "0574"),
            ),
            _team(
                "南京",
                "Nanjing",
                _city("南京", "nanjing", *JIANGSU, "025"),
                _city("合肥", "hefei", "安徽省", "anhui", "0551"),
            ),
            _team(
                "济南",
                "Jinan",
                _city("济南", "jinan", *SHANDONG, "0531"),
                _city("青岛", "qingdao", *SHANDONG, "0532"),
            ),
        ),
    ),
    SalesRegion(
        Word("华南区", "huanan", "South China"),
        (
            _team(
                "广州",
                "Guangzhou",
                _city("广州", "guangzhou", *GUANGDONG, "020"),
                _city("佛山", "foshan", *GUANGDONG, "0757"),
            ),
            _team(
                "深圳",
                "Shenzhen",
                _city("深圳", "shenzhen", *GUANGDONG, "0755"),
                _city("东莞", "dongguan", *GUANGDONG, "0769"),
            ),
            _team(
                "厦门",
                "Xiamen",
                _city("厦门", "xiamen", "福建省", "fujian", "0592"),
                _city("福州", "fuzhou", "福建省", "fujian", "0591"),
            ),
        ),
    ),
    SalesRegion(
        Word("华北区", "huabei", "North China"),
        (
            _team("北京", "Beijing", BEIJING),
            _team(
                "天津",
                "Tianjin",
                TIANJIN,
                _city("石家庄", "shijiazhuang", "河北省", "hebei", "0311"),
            ),
            _team(
                "沈阳",
                "Shenyang",
                _city("沈阳", "shenyang", "辽宁省", "liaoning", "024"),
                _city("大连", "dalian", "辽宁省", "liaoning", "0411"),
            ),
        ),
    ),
    SalesRegion(
        Word("华中区", "huazhong", "Central China"),
        (
            _team("武汉", "Wuhan", _city("武汉", "wuhan", "湖北省", "hubei", "027")),
            _team(
                "长沙",
                "Changsha",
                _city("长沙", "changsha", "湖南省", "hunan", "0731"),
                _city("郑州", "zhengzhou", "河南省", "henan", "0371"),
            ),
        ),
    ),
    SalesRegion(
        Word("西南区", "xinan", "Southwest China"),
        (
            _team("成都", "Chengdu", _city("成都", "chengdu", "四川省", "sichuan", "028")),
            _team(
                "重庆",
                "Chongqing",
                CHONGQING,
                _city("昆明", "kunming", "云南省", "yunnan", "0871"),
            ),
            _team(
                "西安",
                "Xi'an",
                _city("西安", "xian", "陕西省", "shaanxi", "029"),
            ),
        ),
    ),
)

ROADS = _words(
    "中山路:zhongshan 人民路:renmin 解放路:jiefang 建设路:jianshe 科技园路:kejiyuan "
    "长江路:changjiang 延安路:yanan 和平路:heping 新华路:xinhua 滨江大道:binjiang "
    "创业大道:chuangye 世纪大道:shiji 高新路:gaoxin 工业园路:gongyeyuan"
)


@dataclass(frozen=True)
class Weighted:
    """A choice and how often it is picked relative to the others in its list."""

    word: Word
    weight: int


SOURCE_CHANNELS = (
    Weighted(Word("线上广告", "", "Online ads"), 22),
    Weighted(Word("展会", "", "Trade show"), 15),
    Weighted(Word("转介绍", "", "Referral"), 18),
    Weighted(Word("社交媒体", "", "Social media"), 14),
    Weighted(Word("电话营销", "", "Telemarketing"), 12),
    Weighted(Word("官网咨询", "", "Website enquiry"), 13),
    Weighted(Word("合作伙伴", "", "Partner"), 6),
)


@dataclass(frozen=True)
class Title:
    """A job title and the part its holder usually plays in a purchase."""

    word: Word
    decision_role: str
    weight: int


TITLES = (
    Title(Word("总经理", "", "General manager"), "decision_maker", 8),
    Title(Word("副总经理", "", "Deputy general manager"), "decision_maker", 6),
    Title(Word("采购经理", "", "Purchasing manager"), "influencer", 12),
    Title(Word("IT总监", "", "IT director"), "decision_maker", 7),
    Title(Word("财务总监", "", "Finance director"), "influencer", 6),
    Title(Word("技术主管", "", "Technical lead"), "user", 8),
    Title(Word("项目经理", "", "Project manager"), "champion", 10),
    Title(Word("运营经理", "", "Operations manager"), "user", 7),
    Title(Word("行政主管", "", "Office manager"), "gatekeeper", 6),
    Title(Word("总经理助理", "", "Assistant to the general manager"), "gatekeeper", 4),
    Title(Word("市场总监", "", "Marketing director"), "influencer", 4),
    Title(Word("销售总监", "", "Sales director"), "other", 3),
)

PRODUCTS = (
    Word("CRM 系统采购", "", "CRM purchase"),
    Word("ERP 实施项目", "", "ERP implementation"),
    Word("年度服务合同", "", "Annual service contract"),
    Word("设备采购", "", "Equipment purchase"),
    Word("数据中心扩容", "", "Data centre expansion"),
    Word("云服务订阅", "", "Cloud subscription"),
    Word("员工培训服务", "", "Staff training"),
    Word("年度维保", "", "Annual maintenance"),
    Word("办公自动化升级", "", "Office automation upgrade"),
    Word("智能制造改造", "", "Smart factory retrofit"),
    Word("信息安全审计", "", "Security audit"),
    Word("营销自动化平台", "", "Marketing automation platform"),
    Word("仓储管理系统", "", "Warehouse management system"),
    Word("视频会议系统", "", "Video conferencing"),
    Word("数据分析平台", "", "Analytics platform"),
)

PERSONAL_PRODUCTS = (
    Word("家庭理财规划", "", "Financial planning"),
    Word("个人保险方案", "", "Personal insurance"),
    Word("高端体检套餐", "", "Premium health check"),
    Word("私人定制课程", "", "Private tutoring"),
    Word("全屋智能家居", "", "Smart home package"),
)

NEXT_STEPS = (
    (
        Word("电话确认需求和联系人", "", "Call to confirm the need and the contact"),
        Word("发送公司介绍", "", "Send the company introduction"),
    ),
    (
        Word("约定首次拜访", "", "Book the first visit"),
        Word("安排需求调研会", "", "Set up a discovery meeting"),
    ),
    (
        Word("确认预算和决策人", "", "Confirm budget and decision maker"),
        Word("准备方案初稿", "", "Draft the proposal"),
    ),
    (
        Word("跟进报价反馈", "", "Follow up on the quote"),
        Word("安排产品演示", "", "Arrange a product demo"),
    ),
    (
        Word("提交合同审批", "", "Submit the contract for approval"),
        Word("约谈付款条件", "", "Meet on payment terms"),
    ),
    (
        Word("安排实施启动会", "", "Hold the kick-off meeting"),
        Word("季度回访", "", "Quarterly check-in"),
    ),
)

# What a sales rep logs in each phase of a deal: (activity kind, subject, outcome).
PHASE_ACTIVITIES: tuple[tuple[tuple[str, Word, Word], ...], ...] = (
    (
        (
            "call",
            Word("首次电话沟通", "", "First call"),
            Word("客户有初步兴趣", "", "Some interest"),
        ),
        ("email", Word("发送公司介绍", "", "Sent the company introduction"), Word("", "")),
        (
            "call",
            Word("电话确认联系人", "", "Call to confirm the contact"),
            Word("已找到对接人", "", "Contact found"),
        ),
        ("note", Word("客户背景调研", "", "Customer background research"), Word("", "")),
    ),
    (
        (
            "visit",
            Word("首次上门拜访", "", "First visit"),
            Word("客户愿意深入交流", "", "Open to a deeper talk"),
        ),
        (
            "meeting",
            Word("需求调研会", "", "Discovery meeting"),
            Word("已梳理核心需求", "", "Core needs listed"),
        ),
        (
            "call",
            Word("电话跟进需求细节", "", "Call on need details"),
            Word("补充了预算信息", "", "Budget detail added"),
        ),
        ("note", Word("客户关注交付周期", "", "Customer cares about delivery time"), Word("", "")),
    ),
    (
        (
            "meeting",
            Word("产品演示会", "", "Product demo"),
            Word("演示反馈良好", "", "Demo went well"),
        ),
        ("email", Word("发送方案与报价", "", "Sent proposal and quote"), Word("", "")),
        (
            "call",
            Word("电话跟进报价反馈", "", "Call on the quote"),
            Word("客户要求调整价格", "", "Asked for a better price"),
        ),
        (
            "visit",
            Word("方案讲解拜访", "", "Visit to walk through the proposal"),
            Word("技术方案通过", "", "Solution accepted"),
        ),
    ),
    (
        (
            "meeting",
            Word("商务谈判会议", "", "Negotiation meeting"),
            Word("价格基本达成一致", "", "Price nearly agreed"),
        ),
        ("email", Word("发送合同草稿", "", "Sent the draft contract"), Word("", "")),
        (
            "call",
            Word("确认付款条件", "", "Call on payment terms"),
            Word("同意分期付款", "", "Instalments agreed"),
        ),
        ("note", Word("竞争对手报价更低", "", "A competitor quoted lower"), Word("", "")),
    ),
    (
        (
            "visit",
            Word("签约后回访", "", "Visit after signing"),
            Word("客户满意", "", "Customer satisfied"),
        ),
        (
            "meeting",
            Word("实施启动会", "", "Kick-off meeting"),
            Word("项目计划已确认", "", "Project plan agreed"),
        ),
        (
            "call",
            Word("满意度回访", "", "Satisfaction call"),
            Word("有增购意向", "", "Interested in more"),
        ),
    ),
)

TASK_SUBJECTS = (
    Word("跟进客户反馈", "", "Follow up on feedback"),
    Word("准备方案书", "", "Prepare the proposal"),
    Word("安排产品演示", "", "Arrange a demo"),
    Word("提交报价审批", "", "Submit the quote for approval"),
    Word("发送会议纪要", "", "Send meeting notes"),
    Word("确认合同条款", "", "Confirm contract terms"),
    Word("电话回访", "", "Call back"),
)

CUSTOMER_NOTES = (
    Word("客户年度预算一般在第一季度确定", "", "Budgets are set in the first quarter"),
    Word("决策流程较长,需要总部审批", "", "Long decision process; head office approves"),
    Word("老客户推荐,关系良好", "", "Referred by a customer; good relationship"),
    Word("对价格敏感,注重售后服务", "", "Price-sensitive; cares about after-sales service"),
    Word("有意向扩大合作范围", "", "Wants to widen the cooperation"),
)

LOST_NOTES = (
    Word("客户最终选择了低价方案", "", "Went with the cheapest offer"),
    Word("项目被总部叫停", "", "Head office stopped the project"),
    Word("多次联系无回应", "", "No answer after several attempts"),
    Word("预算被削减", "", "Budget was cut"),
)

# Why an owner put a customer back into the public pool.
RELEASE_REASONS = (
    Word("多次联系无回应,转入公海", "", "No answer after several attempts"),
    Word("暂无采购计划", "", "No purchase planned for now"),
    Word("已选用其他供应商", "", "Chose another supplier"),
    Word("不在负责区域,交给同事跟进", "", "Outside my area; for a colleague to follow up"),
)

# Prefixes of mainland mobile numbers in use (China Mobile, Unicom, Telecom).
MOBILE_PREFIXES = _names(
    "130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 "
    "166 173 176 177 178 180 181 182 183 184 185 186 187 188 189 191 198 199"
)

PERSONAL_MAIL_DOMAINS = ("qq.com", "163.com", "126.com", "sina.com", "outlook.com")

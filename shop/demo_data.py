"""Word lists for the demo catalogue that ``manage.py seed_demo`` builds.

A fictional supermarket and lifestyle chain: every brand below is made up.
Kept apart from the command so the command reads as the steps it takes.
Pack sizes carry their content (g or ml), shipping weight and a price
multiplier, written as strings so no price ever passes through a float.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Leaf:
    """A third-level category: what it sells, in which packs, at what prices."""

    name: str
    slug: str
    nouns: tuple[tuple[str, str], ...]  # (中文, English)
    packs: str  # a key of PACKS, or one of the option-combination kinds in OPTION_KINDS
    price: tuple[int, int]  # base price range in whole yuan
    materials: tuple[str, ...] = ()
    audience: tuple[str, ...] = ()
    descriptors: tuple[tuple[str, str], ...] = ()  # when the top category's words fit badly


@dataclass(frozen=True)
class TopCategory:
    name: str
    slug: str
    icon: str
    colours: tuple[tuple[int, int, int], tuple[int, int, int]]  # gradient of its placeholder images
    attributes: tuple[str, ...]  # attribute codes every product here gets a value for
    origins: tuple[str, ...]
    descriptors: tuple[tuple[str, str], ...]
    summaries: tuple[str, ...]
    sentences: tuple[str, ...]  # description sentences; {origin} {noun} {brand} {desc} filled in
    shelf_life: tuple[int, int] = (0, 0)  # days
    organic_share: int = 0  # percent of products with organic certification
    children: tuple[tuple[str, str, tuple[Leaf, ...]], ...] = field(default=())


# Pack sizes: (option value, content in g or ml, shipping weight in g, price multiplier).
PACKS: dict[str, tuple[tuple[str, int, int, str], ...]] = {
    "fruit": (("2斤装", 1000, 1150, "1"), ("5斤装", 2500, 2800, "2.2"), ("10斤装", 5000, 5500, "4")),
    "veg": (("300g", 300, 340, "1"), ("500g", 500, 560, "1.5"), ("1kg", 1000, 1100, "2.6")),
    "meat": (("250g", 250, 300, "1"), ("500g", 500, 580, "1.9"), ("1kg", 1000, 1120, "3.5")),
    "eggs": (("10枚装", 500, 650, "1"), ("20枚装", 1000, 1250, "1.9"), ("30枚装", 1500, 1850, "2.7")),
    "snack": (("100g", 100, 130, "1"), ("250g", 250, 300, "2.2"), ("500g", 500, 580, "4"), ("1kg", 1000, 1120, "7.5")),
    "rice": (("2.5kg", 2500, 2600, "1"), ("5kg", 5000, 5150, "1.9"), ("10kg", 10000, 10300, "3.6")),
    "flour": (("500g", 500, 530, "1"), ("1kg", 1000, 1050, "1.8"), ("2.5kg", 2500, 2600, "4")),
    "oil": (("500ml", 460, 560, "1"), ("1.8L", 1650, 1850, "3.2"), ("5L", 4600, 5000, "8")),
    "sauce": (("250ml", 250, 420, "1"), ("500ml", 500, 720, "1.8"), ("1L", 1000, 1300, "3.2")),
    "water": (("550ml×12", 6600, 7000, "1"), ("550ml×24", 13200, 13900, "1.9"), ("5L", 5000, 5200, "0.8")),
    "drink": (("330ml×6", 1980, 2300, "1"), ("330ml×24", 7920, 8600, "3.6"), ("1L", 1000, 1100, "0.7"), ("1L×6", 6000, 6500, "3.8")),
    "beer": (("330ml×6", 1980, 2500, "1"), ("500ml×12", 6000, 7200, "2.8"), ("330ml×24", 7920, 9600, "3.6")),
    "wine": (("750ml", 750, 1400, "1"), ("750ml×2", 1500, 2800, "1.9"), ("750ml×6", 4500, 8400, "5.4")),
    "care": (("200ml", 200, 260, "1"), ("400ml", 400, 480, "1.7"), ("750ml", 750, 860, "2.8")),
    "toothpaste": (("90g", 90, 120, "1"), ("120g", 120, 155, "1.3"), ("120g×3", 360, 450, "3.2")),
    "brush": (("2支装", 0, 60, "1"), ("4支装", 0, 110, "1.8"), ("6支装", 0, 160, "2.5")),
    "laundry": (("1kg", 1000, 1100, "1"), ("2kg", 2000, 2150, "1.8"), ("3kg", 3000, 3200, "2.5")),
    "paper": (("6包", 0, 900, "1"), ("12包", 0, 1800, "1.9"), ("24包", 0, 3500, "3.6")),
    "pot": (("24cm", 0, 1400, "1"), ("28cm", 0, 1800, "1.25"), ("32cm", 0, 2300, "1.5")),
    "set": (("2件套", 0, 600, "1"), ("4件套", 0, 1150, "1.8"), ("6件套", 0, 1700, "2.5")),
    "hanger": (("10只装", 0, 500, "1"), ("20只装", 0, 950, "1.8"), ("30只装", 0, 1400, "2.5")),
}

# Kinds whose variants differ in colour (and size) rather than pack:
# kind -> (shipping weight in g, second option name or None, its values).
OPTION_KINDS: dict[str, tuple[int, str | None, tuple[str, ...]]] = {
    "colour": (800, None, ()),
    "clothes": (300, "尺码", ("S", "M", "L", "XL", "XXL")),
    "shoes": (900, "尺码", ("36", "37", "38", "39", "40", "41", "42", "43", "44")),
    "bedding": (2500, "规格", ("1.5m床", "1.8m床")),
}
COLOURS = ("白色", "米白", "浅灰", "藏青", "黑色", "雾蓝", "豆绿", "樱花粉", "卡其")

OPTIONS = (("规格", 1), ("颜色", 2), ("尺码", 3))

ORIGINS = ("山东", "云南", "新疆", "东北", "海南", "浙江", "四川", "福建", "广东", "江苏", "进口")
ORIGIN_SLUGS = {
    "山东": "shandong", "云南": "yunnan", "新疆": "xinjiang", "东北": "dongbei", "海南": "hainan",
    "浙江": "zhejiang", "四川": "sichuan", "福建": "fujian", "广东": "guangdong", "江苏": "jiangsu",
    "进口": "imported",
}
MATERIALS = {
    "纯棉": "cotton", "涤纶": "polyester", "羊毛": "wool", "亚麻": "linen", "牛仔布": "denim",
    "帆布": "canvas", "网面": "mesh", "不锈钢": "stainless-steel", "铸铁": "cast-iron", "陶瓷": "ceramic",
    "玻璃": "glass", "竹木": "bamboo", "PP塑料": "pp", "乳胶": "latex",
}
FLAVOURS = {"原味": "plain", "麻辣": "spicy", "海苔": "seaweed", "芝士": "cheese", "焦糖": "caramel"}
SCENTS = {"无香": "unscented", "柑橘": "citrus", "花香": "floral", "薄荷": "mint", "木质": "woody"}
AUDIENCES = {"男士": "men", "女士": "women", "儿童": "kids", "通用": "unisex"}

# code: (name, kind, unit, choices {value: slug} or None, position)
ATTRIBUTES = {
    "origin": ("产地", "choice", "", ORIGIN_SLUGS, 1),
    "organic": ("有机认证", "boolean", "", None, 2),
    "net-weight": ("净含量", "number", "g", None, 3),
    "volume": ("容量", "number", "ml", None, 4),
    "shelf-life": ("保质期", "number", "天", None, 5),
    "flavour": ("口味", "choice", "", FLAVOURS, 6),
    "scent": ("香型", "choice", "", SCENTS, 7),
    "material": ("材质", "choice", "", MATERIALS, 8),
    "audience": ("适用人群", "choice", "", AUDIENCES, 9),
}

BRANDS = (
    # (name, slug, top-level slugs it sells in, description)
    ("青禾农场", "qinghe-farm", ("fresh", "pantry"), "合作农场直采，坚持少农药、慢生长。"),
    ("果语鲜园", "guoyu-orchard", ("fresh",), "只做当季水果，从枝头到门店不超过 48 小时。"),
    ("田间小筑", "tianjian", ("fresh",), "本地蔬菜基地，每日清晨采收。"),
    ("北纬四十", "north-40", ("fresh", "pantry"), "来自北纬四十度黄金种植带的粮食与果蔬。"),
    ("脆脆铺子", "cuicui", ("snacks",), "香脆零食铺，小包装更方便分享。"),
    ("甜趣屋", "tianqu", ("snacks",), "糕点糖果，甜而不腻。"),
    ("坚果日记", "nut-diary", ("snacks",), "每日一小包，坚果配比由营养师调配。"),
    ("稻花村", "daohua-village", ("pantry",), "好米好面，产地溯源看得见。"),
    ("酱心坊", "jiangxin", ("pantry",), "古法酿造的酱油醋与调味酱。"),
    ("清泉谷", "qingquan", ("drinks",), "深层水源，口感清冽。"),
    ("麦浪酿造", "wheat-wave", ("drinks",), "小批量精酿，新鲜直送门店。"),
    ("云岭茶舍", "yunling-tea", ("drinks",), "高山茶园原叶冷泡，清爽无糖。"),
    ("柔肤集", "roufu", ("care",), "温和配方的洗护系列，全家可用。"),
    ("净小白", "jingxiaobai", ("care",), "家庭清洁好帮手，省心又省力。"),
    ("森之息", "senzhixi", ("care", "home"), "植物香氛与天然材质的日用品。"),
    ("木与家", "mu-yu-jia", ("home",), "简约耐用的厨房与餐桌用品。"),
    ("拾光家居", "shiguang-home", ("home",), "收纳与床品，让小家更有条理。"),
    ("简衣社", "jianyi", ("apparel",), "舒适基础款，天天穿也不腻。"),
    ("步履轻", "bulvqing", ("apparel",), "轻量透气的运动与休闲鞋。"),
    ("城市漫行", "city-walk", ("apparel",), "通勤与周末皆宜的服饰箱包。"),
    ("邻家优选", "linjia-select", ("fresh", "snacks", "pantry", "drinks", "care", "home", "apparel"),
     "本店自有品牌：同等品质，更实在的价格。"),
)

TAGS = (
    ("新品", "new"), ("热卖", "hot"), ("有机", "organic"), ("进口", "imported"),
    ("限量", "limited"), ("会员专享", "members-only"), ("产地直采", "direct-from-origin"), ("门店同款", "in-store"),
)

STORES = (
    # code, name, kind, region, address, phone, opening hours, pick-up, priority
    ("online", "线上旗舰仓", "warehouse", "上海市 嘉定区", "上海市嘉定区马陆镇物流园 8 号库", "400-820-0000",
     "", False, 1),
    ("sh-xuhui", "上海徐汇店", "store", "上海市 徐汇区", "上海市徐汇区漕溪北路 88 号 B1 层", "021-6488 0101",
     "09:00–22:00", True, 10),
    ("sh-pudong", "上海浦东店", "store", "上海市 浦东新区", "上海市浦东新区张杨路 1200 号 1 层", "021-5088 0202",
     "09:00–22:00", True, 20),
    ("hz-xihu", "杭州西湖店", "store", "浙江省 杭州市 西湖区", "杭州市西湖区文三路 256 号", "0571-8766 0303",
     "09:00–22:00", True, 30),
)

ANNOUNCEMENTS = (
    ("新店开业：全场满199减20，门店自提更快捷", "/"),
    ("会员日每周三：生鲜果蔬 9 折，积分双倍", ""),
)

_WATER_WORDS = (("天然", "Natural"), ("冰爽", "Chilled"), ("经典", "Classic"), ("家庭装", "Family Pack"))

CATEGORY_TREE: tuple[TopCategory, ...] = (
    TopCategory(
        name="生鲜果蔬", slug="fresh", icon="🥬", colours=((255, 204, 128), (129, 199, 132)),
        attributes=("origin", "organic", "net-weight", "shelf-life"),
        origins=("山东", "云南", "新疆", "东北", "海南", "浙江", "四川", "福建", "广东", "进口"),
        descriptors=(("有机", "Organic"), ("当季", "Seasonal"), ("精选", "Select"), ("产地直发", "Farm Direct"),
                     ("新鲜", "Fresh")),
        summaries=("产地直采，冷链到店", "当季鲜采，坏果包赔", "门店自提，下单两小时可取", "清晨采摘，当日上架"),
        sentences=(
            "来自{origin}的{desc}{noun}，{brand}合作基地当日采收，全程冷链直达门店。",
            "个头匀称、汁水充足，挑选时已去除磕碰果与瑕疵品。",
            "建议冷藏保存，三到五天内食用风味最佳。",
            "每批次都做农残抽检，报告可在门店查阅。",
        ),
        shelf_life=(3, 15), organic_share=35,
        children=(
            ("新鲜水果", "fresh-fruit", (
                Leaf("苹果梨桃", "fruit-apple-pear", (("红富士苹果", "Fuji Apples"), ("库尔勒香梨", "Fragrant Pears"),
                     ("水蜜桃", "Juicy Peaches")), "fruit", (19, 69)),
                Leaf("柑橘橙柚", "fruit-citrus", (("赣南脐橙", "Navel Oranges"), ("沃柑", "Mandarins"),
                     ("红心蜜柚", "Red Pomelo")), "fruit", (15, 59)),
                Leaf("热带水果", "fruit-tropical", (("金钻凤梨", "Pineapple"), ("小台芒", "Mangoes"),
                     ("香蕉", "Bananas")), "fruit", (12, 79)),
            )),
            ("时令蔬菜", "fresh-veg", (
                Leaf("叶菜类", "veg-leafy", (("上海青", "Bok Choy"), ("菠菜", "Spinach"), ("西兰花", "Broccoli")),
                     "veg", (3, 15)),
                Leaf("根茎类", "veg-root", (("土豆", "Potatoes"), ("胡萝卜", "Carrots"), ("铁棍山药", "Chinese Yam")),
                     "veg", (3, 25)),
                Leaf("菌菇类", "veg-mushroom", (("香菇", "Shiitake Mushrooms"), ("金针菇", "Enoki Mushrooms"),
                     ("杏鲍菇", "King Oyster Mushrooms")), "veg", (4, 22)),
            )),
            ("肉禽蛋品", "fresh-meat", (
                Leaf("猪牛羊肉", "meat-red", (("黑猪五花肉", "Pork Belly"), ("牛腩", "Beef Brisket"),
                     ("羔羊肉卷", "Lamb Rolls")), "meat", (25, 89)),
                Leaf("禽肉", "meat-poultry", (("鸡胸肉", "Chicken Breast"), ("鸡翅中", "Chicken Wings"),
                     ("鸭腿", "Duck Legs")), "meat", (12, 45)),
                Leaf("鲜蛋", "meat-eggs", (("散养土鸡蛋", "Free-range Eggs"), ("鹌鹑蛋", "Quail Eggs"),
                     ("咸鸭蛋", "Salted Duck Eggs")), "eggs", (12, 36)),
            )),
        ),
    ),
    TopCategory(
        name="休闲零食", slug="snacks", icon="🍪", colours=((255, 224, 130), (240, 98, 146)),
        attributes=("origin", "flavour", "net-weight", "shelf-life"),
        origins=("山东", "云南", "新疆", "浙江", "四川", "福建", "广东", "江苏", "进口"),
        descriptors=(("香脆", "Crunchy"), ("低糖", "Low Sugar"), ("手工", "Handmade"), ("经典", "Classic"),
                     ("每日", "Daily")),
        summaries=("办公室囤货首选", "独立小包装，随时来一口", "追剧好伴侣", "0 反式脂肪酸"),
        sentences=(
            "{brand}{desc}{noun}，选用{origin}原料，小火慢烘，香气足。",
            "独立小包装，防潮保鲜，出门带上也方便。",
            "适合下午茶、追剧或分享给家人朋友。",
            "开封后请密封保存，避免受潮。",
        ),
        shelf_life=(120, 365),
        children=(
            ("坚果炒货", "snacks-nuts", (
                Leaf("每日坚果", "nuts-mixed", (("每日坚果", "Mixed Nuts"), ("混合果仁", "Trail Mix")), "snack", (9, 39)),
                Leaf("瓜子花生", "nuts-seeds", (("焦糖瓜子", "Sunflower Seeds"), ("五香花生", "Spiced Peanuts"),
                     ("开心果", "Pistachios")), "snack", (6, 35)),
            )),
            ("饼干糕点", "snacks-bakery", (
                Leaf("饼干", "bakery-biscuits", (("苏打饼干", "Soda Crackers"), ("黄油曲奇", "Butter Cookies"),
                     ("全麦饼干", "Whole Wheat Crackers")), "snack", (6, 29)),
                Leaf("中式糕点", "bakery-pastry", (("蛋黄酥", "Egg Yolk Pastry"), ("凤梨酥", "Pineapple Cakes"),
                     ("绿豆糕", "Mung Bean Cakes")), "snack", (9, 39)),
            )),
            ("糖果肉脯", "snacks-sweets", (
                Leaf("糖果巧克力", "sweets-candy", (("黑巧克力", "Dark Chocolate"), ("牛轧糖", "Nougat"),
                     ("水果软糖", "Fruit Gummies")), "snack", (8, 45)),
                Leaf("肉干肉脯", "sweets-jerky", (("牛肉干", "Beef Jerky"), ("猪肉脯", "Pork Jerky"),
                     ("卤鸭脖", "Braised Duck Neck")), "snack", (12, 49)),
            )),
        ),
    ),
    TopCategory(
        name="粮油调味", slug="pantry", icon="🍚", colours=((255, 241, 118), (188, 170, 164)),
        attributes=("origin", "organic", "net-weight", "shelf-life"),
        origins=("山东", "东北", "新疆", "四川", "浙江", "江苏", "广东", "进口"),
        descriptors=(("东北", "Northeast"), ("古法", "Traditional"), ("有机", "Organic"), ("头道", "First Press"),
                     ("精选", "Select")),
        summaries=("家庭厨房常备", "产地可溯源", "大包装更划算", "0 添加防腐剂"),
        sentences=(
            "{origin}原产，{brand}{desc}{noun}，粒粒饱满、香味纯正。",
            "每一批都可扫码查看产地与检测报告。",
            "家常炒菜、煲汤、烘焙都合适，厨房常备不慌。",
            "请置于阴凉干燥处，避免阳光直射。",
        ),
        shelf_life=(180, 720), organic_share=20,
        children=(
            ("米面杂粮", "pantry-grains", (
                Leaf("大米", "grains-rice", (("长粒香大米", "Jasmine Rice"), ("丝苗米", "Silky Rice"),
                     ("胚芽米", "Germ Rice")), "rice", (25, 69)),
                Leaf("面粉面条", "grains-flour", (("高筋面粉", "Bread Flour"), ("鸡蛋挂面", "Egg Noodles"),
                     ("荞麦面", "Soba Noodles")), "flour", (5, 19)),
                Leaf("杂粮豆类", "grains-mixed", (("黄小米", "Millet"), ("燕麦片", "Rolled Oats"), ("红小豆", "Red Beans")),
                     "flour", (8, 25)),
            )),
            ("食用油", "pantry-oil", (
                Leaf("花生油", "oil-peanut", (("压榨花生油", "Peanut Oil"),), "oil", (19, 39)),
                Leaf("橄榄油", "oil-olive", (("特级初榨橄榄油", "Extra Virgin Olive Oil"),), "oil", (39, 89)),
                Leaf("菜籽油", "oil-rapeseed", (("小榨菜籽油", "Rapeseed Oil"),), "oil", (15, 35)),
            )),
            ("调味品", "pantry-seasoning", (
                Leaf("酱油醋", "seasoning-soy", (("特级生抽", "Light Soy Sauce"), ("红烧老抽", "Dark Soy Sauce"),
                     ("陈年香醋", "Aged Vinegar")), "sauce", (6, 29)),
                Leaf("调味酱", "seasoning-paste", (("郫县豆瓣酱", "Chili Bean Paste"), ("芝麻酱", "Sesame Paste"),
                     ("蚝油", "Oyster Sauce")), "sauce", (6, 25)),
            )),
        ),
    ),
    TopCategory(
        name="酒水饮料", slug="drinks", icon="🥤", colours=((128, 222, 234), (121, 134, 203)),
        attributes=("origin", "volume", "shelf-life"),
        origins=("云南", "新疆", "东北", "浙江", "四川", "福建", "广东", "山东", "进口"),
        descriptors=(("冰爽", "Chilled"), ("0糖", "Zero Sugar"), ("经典", "Classic"), ("轻盈", "Light"),
                     ("醇香", "Rich")),
        summaries=("冰镇后风味更佳", "整箱购买更划算", "聚会露营必备", "清爽解腻"),
        sentences=(
            "{brand}{desc}{noun}，水源与原料来自{origin}，口感清爽。",
            "冷藏后饮用风味更佳，整箱购买配送到家不费力。",
            "适合聚餐、露营和办公室日常补给。",
        ),
        shelf_life=(180, 540),
        children=(
            ("饮用水", "drinks-water", (
                Leaf("矿泉水", "water-mineral", (("天然矿泉水", "Mineral Water"), ("气泡苏打水", "Sparkling Water")),
                     "water", (12, 39), descriptors=_WATER_WORDS),
                Leaf("纯净水", "water-purified", (("饮用纯净水", "Purified Water"), ("山泉水", "Spring Water")),
                     "water", (9, 29), descriptors=_WATER_WORDS),
            )),
            ("饮料", "drinks-soft", (
                Leaf("果汁", "soft-juice", (("NFC橙汁", "Orange Juice"), ("椰子水", "Coconut Water")), "drink", (15, 49)),
                Leaf("茶饮咖啡", "soft-tea", (("无糖乌龙茶", "Oolong Tea"), ("冷萃咖啡", "Cold Brew Coffee"),
                     ("燕麦奶", "Oat Milk")), "drink", (12, 45)),
            )),
            ("酒类", "drinks-alcohol", (
                Leaf("啤酒", "alcohol-beer", (("精酿啤酒", "Craft Beer"), ("小麦白啤", "Wheat Beer")), "beer", (19, 59)),
                Leaf("葡萄酒", "alcohol-wine", (("赤霞珠干红", "Cabernet Sauvignon"), ("起泡酒", "Sparkling Wine")),
                     "wine", (49, 199), descriptors=(("醇香", "Rich"), ("经典", "Classic"), ("臻选", "Reserve"))),
            )),
        ),
    ),
    TopCategory(
        name="个护清洁", slug="care", icon="🧴", colours=((179, 229, 252), (206, 147, 216)),
        attributes=("origin", "scent", "shelf-life"),
        origins=("广东", "浙江", "江苏", "福建", "进口"),
        descriptors=(("温和", "Gentle"), ("清爽", "Fresh"), ("植萃", "Botanical"), ("氨基酸", "Amino Acid"),
                     ("家庭装", "Family Size")),
        summaries=("全家可用的温和配方", "大瓶装更耐用", "皮肤科测试通过", "清香不刺鼻"),
        sentences=(
            "{brand}{desc}{noun}，{origin}工厂生产，配方温和不刺激。",
            "泡沫细腻、易冲洗，日常使用不紧绷。",
            "家庭装更耐用，门店与线上同价。",
        ),
        shelf_life=(730, 1095),
        children=(
            ("洗护", "care-bath", (
                Leaf("洗发护发", "care-hair", (("洗发水", "Shampoo"), ("护发素", "Conditioner")), "care", (19, 69)),
                Leaf("沐浴", "care-body", (("沐浴露", "Body Wash"), ("洗手液", "Hand Wash")), "care", (12, 49)),
            )),
            ("口腔护理", "care-oral", (
                Leaf("牙膏", "oral-paste", (("美白牙膏", "Whitening Toothpaste"), ("儿童牙膏", "Kids Toothpaste")),
                     "toothpaste", (8, 29)),
                Leaf("牙刷", "oral-brush", (("软毛牙刷", "Soft Toothbrush"), ("电动牙刷刷头", "Brush Heads")),
                     "brush", (9, 59), descriptors=(("细毛", "Fine Bristle"), ("家庭装", "Family Pack"), ("便携", "Travel"))),
            )),
            ("家庭清洁", "care-cleaning", (
                Leaf("洗衣用品", "cleaning-laundry", (("洗衣液", "Laundry Detergent"), ("洗衣凝珠", "Laundry Pods")),
                     "laundry", (19, 59), descriptors=(("植萃", "Botanical"), ("深层洁净", "Deep Clean"), ("家庭装", "Family Size"), ("低泡", "Low Foam"))),
                Leaf("纸品湿巾", "cleaning-paper", (("抽纸", "Facial Tissues"), ("卷纸", "Toilet Paper"),
                     ("湿巾", "Wet Wipes")), "paper", (12, 39),
                     descriptors=(("柔韧", "Soft"), ("加厚", "Thick"), ("家庭装", "Family Pack"), ("无香", "Unscented"))),
            )),
        ),
    ),
    TopCategory(
        name="家居日用", slug="home", icon="🏠", colours=((215, 204, 200), (128, 203, 196)),
        attributes=("origin", "material"),
        origins=("浙江", "广东", "江苏", "福建", "山东", "进口"),
        descriptors=(("简约", "Minimal"), ("加厚", "Thick"), ("北欧风", "Nordic"), ("耐用", "Durable"),
                     ("家用", "Home")),
        summaries=("简约设计，百搭耐看", "加厚材质更耐用", "门店可看样", "小户型好收纳"),
        sentences=(
            "{brand}{desc}{noun}，{origin}工厂出品，做工扎实。",
            "线条简洁，与大多数家居风格都能搭配。",
            "门店设有样品区，可先看实物再下单。",
        ),
        children=(
            ("厨房用品", "home-kitchen", (
                Leaf("锅具", "kitchen-cookware", (("不粘炒锅", "Non-stick Wok"), ("汤锅", "Stock Pot")), "pot", (79, 299),
                     materials=("不锈钢", "铸铁")),
                Leaf("餐具", "kitchen-tableware", (("陶瓷碗", "Ceramic Bowls"), ("玻璃杯", "Glass Cups"),
                     ("合金筷", "Chopsticks")), "set", (19, 99), materials=("陶瓷", "玻璃", "竹木")),
            )),
            ("收纳整理", "home-storage", (
                Leaf("收纳盒", "storage-boxes", (("收纳箱", "Storage Box"), ("抽屉收纳盒", "Drawer Organizer")),
                     "colour", (15, 69), materials=("PP塑料", "竹木")),
                Leaf("衣架挂钩", "storage-hangers", (("防滑衣架", "Non-slip Hangers"),), "hanger", (12, 39),
                     materials=("PP塑料", "不锈钢", "竹木")),
            )),
            ("床上用品", "home-bedding", (
                Leaf("四件套", "bedding-sets", (("纯棉四件套", "Cotton Bedding Set"), ("水洗棉四件套", "Washed Cotton Set")),
                     "bedding", (129, 399), materials=("纯棉", "亚麻")),
                Leaf("枕头被子", "bedding-pillows", (("乳胶枕", "Latex Pillow"), ("夏凉被", "Summer Quilt")), "colour",
                     (59, 259), materials=("乳胶", "纯棉", "涤纶")),
            )),
        ),
    ),
    TopCategory(
        name="服饰鞋包", slug="apparel", icon="👕", colours=((176, 190, 197), (255, 171, 145)),
        attributes=("origin", "material", "audience"),
        origins=("浙江", "广东", "江苏", "福建", "山东"),
        descriptors=(("基础款", "Basic"), ("轻薄", "Lightweight"), ("宽松", "Relaxed"), ("休闲", "Casual"),
                     ("透气", "Breathable")),
        summaries=("舒适百搭，四季可穿", "门店可试穿", "七天无理由退换", "机洗不变形"),
        sentences=(
            "{brand}{desc}{noun}，{origin}工厂缝制，版型经过多轮试穿调整。",
            "面料亲肤透气，日常通勤与周末出行都合适。",
            "支持门店试穿与自提，尺码不合适可到店换货。",
        ),
        children=(
            ("男装", "apparel-men", (
                Leaf("T恤", "men-tees", (("纯棉圆领T恤", "Cotton T-shirt"), ("Polo衫", "Polo Shirt")), "clothes", (49, 129),
                     materials=("纯棉", "涤纶"), audience=("男士",)),
                Leaf("裤装", "men-trousers", (("休闲长裤", "Chinos"), ("直筒牛仔裤", "Jeans")), "clothes", (99, 259),
                     materials=("纯棉", "牛仔布"), audience=("男士",)),
            )),
            ("女装", "apparel-women", (
                Leaf("连衣裙", "women-dresses", (("碎花连衣裙", "Floral Dress"), ("针织连衣裙", "Knit Dress")), "clothes",
                     (129, 359), materials=("涤纶", "亚麻", "纯棉"), audience=("女士",)),
                Leaf("针织衫", "women-knit", (("羊毛开衫", "Wool Cardigan"), ("圆领毛衣", "Crew Sweater")), "clothes",
                     (149, 399), materials=("羊毛", "纯棉"), audience=("女士",)),
            )),
            ("鞋靴箱包", "apparel-shoes-bags", (
                Leaf("运动鞋", "shoes-sneakers", (("跑步鞋", "Running Shoes"), ("帆布鞋", "Canvas Sneakers")), "shoes",
                     (129, 459), materials=("网面", "帆布"), audience=("男士", "女士", "通用")),
                Leaf("箱包", "bags", (("通勤双肩包", "Backpack"), ("帆布托特包", "Tote Bag")), "colour", (69, 299),
                     materials=("帆布", "涤纶"), audience=("通用", "女士")),
            )),
        ),
    ),
)


# Shipping methods: code, name, base fee (first kg), fee per extra kg, free from, provinces ("" = everywhere),
# and how many days delivery takes (at least, at most).
SHIPPING_METHODS = [
    ("express", "全国快递", "8.00", "2.00", "99.00", "", 2, 4),
    ("next-day", "江浙沪次日达", "12.00", "3.00", "199.00", "上海市,江苏省,浙江省", 1, 1),
]

SHOPPER_ADDRESS = {
    "recipient": "林小满",
    "phone": "13800138000",
    "province": "上海市",
    "city": "上海市",
    "district": "徐汇区",
    "detail": "漕溪北路 88 号 12 楼",
    "is_default": True,
}

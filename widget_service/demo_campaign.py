"""The demo campaign, from MSP's campaign page ("Stand up for the Shia Hazara of Quetta").

The Urdu texts are a draft translation (``is_draft``) for MSP to review before launch.
"""

SLUG = "hazara-quetta"
GOAL = 100_000

TEXTS = {
    "en": {
        "title": "Stand up for the Shia Hazara of Quetta",
        "summary": (
            "Our strength lies in collective action. Join Minority Support Pakistan's call for "
            "law enforcement accountability, religious freedom and security, and education and "
            "community solidarity."
        ),
        "petition_text": (
            "Law Enforcement Accountability, Now!\n"
            "Police must conduct proper investigations; gather evidence, identify suspects, and "
            "make arrests. The Judiciary must prosecute suspects in a court of law, punish those "
            "convicted, and otherwise provide justice for victims and their families. If "
            "Balochistan’s law enforcement agencies and judiciary are unable or unwilling to carry "
            "out these basic duties, then the federal government of Pakistan must intervene "
            "immediately to provide law enforcement, security, and constitutional due process to "
            "victims and their families.\n\n"
            "Religious Freedom and Security, Now!\n"
            "All religious minorities of Pakistan must be afforded the freedom to practice their "
            "religion publicly and without fear of reprisal, violence, or intimidation. The "
            "Constitution of the Islamic Republic of Pakistan (Part II., Chapter One, Sections 19 "
            "& 20) enshrines these rights for all citizens; therefore the Federal Government must "
            "ensure these rights are upheld for all citizens at all times, regardless of "
            "disparities between the provinces or intraregional conflicts.\n\n"
            "Education and Community Solidarity, Now!\n"
            "In the absence of adequate law enforcement, protecting ourselves against sectarian "
            "criminals and terrorists is the personal responsibility of each and every citizen of "
            "Pakistan. Minority communities in particular must exercise extreme vigilance and "
            "awareness of their surroundings for any potential threats from those who wield the "
            "gun. Non-minority communities and supporters should do the same and join in the "
            "effort to flush out these sectarian criminals wherever they may hide. This effort "
            "begins and ends with local education, dialogue, and advocacy. Talk to your neighbors "
            "and get the conversation started today!"
        ),
        "is_draft": False,
    },
    "ur": {
        "title": "کوئٹہ کے شیعہ ہزارہ کے ساتھ کھڑے ہوں",
        "summary": (
            "ہماری طاقت اجتماعی عمل میں ہے۔ قانون نافذ کرنے والے اداروں کے احتساب، مذہبی آزادی و "
            "تحفظ، اور تعلیم و برادری کی یکجہتی کے لیے مائنارٹی سپورٹ پاکستان کی آواز میں آواز ملائیں۔"
        ),
        "petition_text": (
            "قانون نافذ کرنے والے اداروں کا احتساب، ابھی!\n"
            "پولیس مناسب تفتیش کرے؛ شواہد اکٹھے کرے، مشتبہ افراد کی شناخت کرے اور گرفتاریاں کرے۔ "
            "عدلیہ مشتبہ افراد پر عدالت میں مقدمہ چلائے، مجرم ثابت ہونے والوں کو سزا دے، اور متاثرین "
            "اور ان کے خاندانوں کو انصاف فراہم کرے۔ اگر بلوچستان کے قانون نافذ کرنے والے ادارے اور "
            "عدلیہ یہ بنیادی فرائض ادا کرنے سے قاصر یا گریزاں ہوں، تو وفاقی حکومتِ پاکستان فوراً "
            "مداخلت کرے اور متاثرین اور ان کے خاندانوں کو قانون کا نفاذ، تحفظ اور آئینی ضابطۂ کار "
            "فراہم کرے۔\n\n"
            "مذہبی آزادی اور تحفظ، ابھی!\n"
            "پاکستان کی تمام مذہبی اقلیتوں کو اپنے مذہب پر کھلے عام، انتقام، تشدد یا دھمکی کے خوف کے "
            "بغیر عمل کرنے کی آزادی دی جائے۔ اسلامی جمہوریہ پاکستان کا آئین (حصہ دوم، باب اول، "
            "دفعات 19 اور 20) تمام شہریوں کے لیے ان حقوق کی ضمانت دیتا ہے؛ لہٰذا وفاقی حکومت یقینی "
            "بنائے کہ صوبوں کے درمیان فرق یا علاقائی تنازعات سے قطع نظر، یہ حقوق ہر وقت تمام شہریوں "
            "کے لیے برقرار رہیں۔\n\n"
            "تعلیم اور برادری کی یکجہتی، ابھی!\n"
            "قانون کے مناسب نفاذ کی عدم موجودگی میں، فرقہ وارانہ مجرموں اور دہشت گردوں سے اپنی حفاظت "
            "پاکستان کے ہر شہری کی ذاتی ذمہ داری ہے۔ خاص طور پر اقلیتی برادریوں کو بندوق اٹھانے والوں "
            "کے کسی بھی ممکنہ خطرے سے انتہائی چوکس اور اپنے اردگرد سے باخبر رہنا چاہیے۔ غیر اقلیتی "
            "برادریاں اور حامی بھی ایسا ہی کریں اور ان فرقہ وارانہ مجرموں کو، جہاں بھی وہ چھپے ہوں، "
            "بے نقاب کرنے کی کوشش میں شامل ہوں۔ یہ کوشش مقامی تعلیم، مکالمے اور وکالت سے شروع ہوتی ہے "
            "اور اسی پر ختم ہوتی ہے۔ اپنے پڑوسیوں سے بات کریں اور آج ہی گفتگو کا آغاز کریں!"
        ),
        "is_draft": True,
    },
}

# Donation settings for the demo, so `make run` shows a working donate widget without Stripe:
# MSP's own donation page and bank-transfer details are placeholders, marked as such, for MSP to
# replace with `flask campaigns donations` before launch.
DONATE = {
    "goals": {"PKR": 500_000_000, "USD": 2_500_000, "GBP": 1_000_000},
    "default_currency": "USD",
    "external_url": "https://example.org/donate-to-msp",
    "bank": {
        "en": (
            "DEMO DETAILS, NOT A REAL ACCOUNT: replace before launch.\n"
            "Account title: Minority Support Pakistan\n"
            "Bank: Example Bank Limited, Quetta\n"
            "IBAN: PK00 EXMP 0000 0000 0000 0000\n"
            "Reference: HAZARA"
        ),
        "ur": (
            "نمونے کی تفصیلات، اصل اکاؤنٹ نہیں: شروع کرنے سے پہلے بدلیں۔\n"
            "اکاؤنٹ کا نام: مائنارٹی سپورٹ پاکستان\n"
            "بینک: ایگزیمپل بینک لمیٹڈ، کوئٹہ\n"
            "آئی بی اے این: PK00 EXMP 0000 0000 0000 0000\n"
            "حوالہ: HAZARA"
        ),
    },
}

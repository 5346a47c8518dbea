"""Words of the demo story: product names, scripts (including the risky ones the comply module
should catch), review texts and return reasons.  Pure data, no logic beyond picking."""

from __future__ import annotations

NOUNS: dict[str, tuple[str, ...]] = {
    "toys": (
        "Magnetic Building Tiles",
        "Plush Dinosaur",
        "Montessori Busy Board",
        "Bubble Machine",
        "Wooden Stacking Rainbow",
        "Squishy Fidget Set",
        "Kids Walkie Talkies",
        "RC Stunt Car",
        "Dino Excavation Kit",
        "Pop-It Sensory Toy",
        "Mini Claw Game",
        "Glow Slime Kit",
    ),
    "electronics": (
        "Mini Portable Fan",
        "Magnetic Power Bank 10000mAh",
        "LED Sunset Lamp",
        "Wireless Earbuds",
        "Rechargeable Hand Warmer",
        "Ring Light",
        "Smart Plug",
        "Bluetooth Tracker Tag",
        "Neck Massager",
        "Electric Lint Remover",
    ),
    "supplements": (
        "Sea Moss Gummies",
        "Ashwagandha Capsules",
        "Collagen Peptide Powder",
        "Apple Cider Vinegar Gummies",
        "Magnesium Glycinate",
        "Probiotic Bloat Relief",
        "Berberine Complex",
        "Biotin Hair Gummies",
    ),
    "beauty": (
        "LED Face Mask",
        "Microcurrent Face Lifter",
        "Ice Roller",
        "Snail Mucin Essence",
        "Lip Plumping Oil",
        "Heatless Curling Rod",
        "Gua Sha Set",
        "Hair Growth Serum",
        "Blackhead Vacuum",
        "Peel-off Lip Stain",
    ),
    "apparel": (
        "Oversized Graphic Tee",
        "Vintage Wash Tee",
        "Embroidered Sweatshirt",
        "Pet Portrait Tee",
        "Retro Sunset Hoodie",
        "Cat Mom Tee",
    ),
    "home": (
        "Cloud Slippers",
        "Rotating Spice Rack",
        "Foam Cleaner Spray",
        "Drawer Organizer Set",
        "Sunset Projection Lamp",
        "Car Trash Can",
        "Shower Head Filter",
        "Cable Organizer Box",
        "Silicone Stretch Lids",
    ),
    "pet": (
        "Lick Mat",
        "Self-Cleaning Slicker Brush",
        "Freeze-Dried Chicken Treats",
        "Cat Tunnel",
        "No-Pull Harness",
        "Salmon Skin Dog Chews",
        "Interactive Cat Wand",
        "Pet Hair Remover Roller",
    ),
}

ADJECTIVES = ("", "Premium ", "2-Pack ", "Upgraded ", "Mini ", "XL ", "Pastel ", "Classic ")
COLORS = ("Black", "White", "Sage", "Pink", "Navy", "Sand", "Lilac", "Grey")

#: an ordinary script per category (``{name}``, ``{price}`` filled in)
SCRIPTS_OK: dict[str, str] = {
    "toys": "Watch my kids build a castle with the {name}! Every piece is chunky and easy to grip. Link in the shop tab, {price}.",
    "electronics": "This {name} lasts a whole day at the beach. USB-C charging, fits in any bag. Grab it in my shop for {price}.",
    "supplements": "My morning routine: two {name}. I like the taste and the jar lasts a month. {price} in the shop.",
    "beauty": "Five minutes with the {name} before work. Gentle, easy to clean and travel friendly. Only {price} today.",
    "apparel": "The {name} in heavyweight cotton, printed in the US after you order. True to size. {price}.",
    "home": "Organising my kitchen with the {name}. Took two minutes to set up. {price} in my shop.",
    "pet": "My dog goes crazy for the {name}. Keeps him busy for twenty minutes. {price} at the orange cart.",
}

#: risky supplement / beauty scripts (medical and weight-loss claims, absolute claims)
SCRIPTS_RISKY_EN: tuple[str, ...] = (
    "These {name} literally cure my bloating in one day. Doctors don't want you to know this! {price}.",
    "I lost 10 lbs in two weeks with {name}, no diet, no gym. Guaranteed results or your money back.",
    "The No. 1 {name} on TikTok — 100% natural, treats anxiety and prevents colds. {price} today only.",
    "{name} melts belly fat while you sleep. Fat burning starts on day one! Miracle formula, {price}.",
)
#: Chinese-language scripts with medical / slimming claims and gambling-style promotions
SCRIPTS_RISKY_ZH: tuple[str, ...] = (
    "这款{name}可以治疗失眠，吃一周就见效！直播间下单还能参加抽奖，{price}。",
    "一个月减肥10斤，{name}燃脂不反弹！转盘抽奖送同款，点击小黄车。",
    "{name}纯天然，治疗关节痛，100%有效。评论区幸运大转盘，今晚开奖！",
)
#: a template reused across markets with only small edits (templated cross-market content)
SCRIPT_TEMPLATE = (
    "POV: you finally found the {name} everyone is talking about {hi}. It ships from {origin}, "
    "arrives in days and costs just {price}. Tap the {cart} and thank me later!"
)
TEMPLATE_MARKETS: dict[str, dict[str, str]] = {
    "US": {"hi": "y'all", "origin": "our US warehouse", "cart": "orange cart", "lang": "en"},
    "GB": {"hi": "mates", "origin": "our warehouse", "cart": "basket", "lang": "en"},
    "MY": {"hi": "guys", "origin": "our warehouse", "cart": "yellow cart", "lang": "en"},
}
LIVE_TITLES = (
    "Friday Night Deals LIVE",
    "New Arrivals Unboxing",
    "Flash Sale: Up to 40% Off",
    "Q&A With Our Product Team",
    "Weekend Restock LIVE",
)
LIVE_PROMO_RISKY = (
    "Comment 'spin' to join the lucky wheel — every 100 likes we spin for a free gift!"
)

REVIEW_TEXT: dict[int, tuple[str, ...]] = {
    1: (
        "Arrived late and broken.",
        "Never again. Took forever to arrive.",
        "Stopped working after two days.",
    ),
    2: ("Not as pictured.", "Cheap quality for the price.", "Late delivery, item is ok."),
    3: ("It's fine.", "Does the job, nothing special.", "Smaller than expected."),
    4: ("Good value.", "Works well, fast shipping.", "Nice, would buy again."),
    5: ("Love it!", "Exactly as shown, arrived quickly.", "My kids love it!", "Perfect gift."),
}

#: (reason, fault, return_type, disposition) per return kind
RETURN_REASONS: tuple[tuple[str, str, str, str], ...] = (
    ("Size doesn't fit", "buyer", "return_refund", "resellable"),
    ("Changed my mind", "buyer", "return_refund", "resellable"),
    ("Ordered by mistake", "buyer", "return_refund", "resellable"),
    ("Item defective or doesn't work", "seller", "return_refund", "unsellable"),
    ("Not as described", "seller", "refund_only", "not_returned"),
    ("Missing parts", "seller", "replacement", "replacement"),
    ("Damaged in transit", "logistics", "refund_only", "not_returned"),
    ("Package arrived too late", "logistics", "return_refund", "resellable"),
)

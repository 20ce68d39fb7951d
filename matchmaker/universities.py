"""The Hong Kong and Macao universities present from the first migration on (plain data)."""

UNIVERSITIES = [
    # short_name, English name, Chinese name (Traditional, as the universities write it), region
    ("HKU", "The University of Hong Kong", "香港大學", "hong_kong"),
    ("CUHK", "The Chinese University of Hong Kong", "香港中文大學", "hong_kong"),
    ("HKUST", "The Hong Kong University of Science and Technology", "香港科技大學", "hong_kong"),
    ("PolyU", "The Hong Kong Polytechnic University", "香港理工大學", "hong_kong"),
    ("CityU", "City University of Hong Kong", "香港城市大學", "hong_kong"),
    ("HKBU", "Hong Kong Baptist University", "香港浸會大學", "hong_kong"),
    ("LingnanU", "Lingnan University", "嶺南大學", "hong_kong"),
    ("EdUHK", "The Education University of Hong Kong", "香港教育大學", "hong_kong"),
    ("HKMU", "Hong Kong Metropolitan University", "香港都會大學", "hong_kong"),
    ("UM", "University of Macau", "澳門大學", "macao"),
    ("MUST", "Macau University of Science and Technology", "澳門科技大學", "macao"),
    ("MPU", "Macao Polytechnic University", "澳門理工大學", "macao"),
    ("USJ", "University of Saint Joseph", "聖若瑟大學", "macao"),
]

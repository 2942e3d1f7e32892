//! Fictitious names. First names are common ones; surnames, places and organisations
//! are invented by joining parts, so no record describes a real person or business.
//! (An invented combination can by chance equal a real name; nothing else about the
//! record will.)

/// The placement types: (code, Swedish name, English name, weight in demand).
pub const PLACEMENT_TYPES: &[(&str, &str, &str, f64)] = &[
    ("carpentry", "Snickeri", "Carpentry", 1.2),
    ("gardening", "Trädgård och grönytor", "Gardening", 1.0),
    ("cafe", "Café och kök", "Café and kitchen", 1.3),
    (
        "second-hand",
        "Second hand-butik",
        "Second-hand retail",
        1.2,
    ),
    (
        "recycling",
        "Återbruk och återvinning",
        "Recycling and re-use",
        1.0,
    ),
    ("textiles", "Textil och sömnad", "Textiles", 0.7),
    ("cleaning", "Städ", "Cleaning", 0.9),
    ("property", "Fastighetsskötsel", "Property maintenance", 1.0),
    ("bicycle", "Cykelverkstad", "Bicycle repair", 0.6),
    (
        "office",
        "Kontor och reception",
        "Office and reception",
        0.7,
    ),
    ("animal-care", "Djurskötsel", "Animal care", 0.5),
    ("digital", "Digitala tjänster", "Digital services", 0.5),
];

/// Index into [`PLACEMENT_TYPES`].
pub type TypeIndex = usize;

/// The types placements were arranged in before the reform (the old way, fewer kinds).
pub const OLD_TYPES: &[TypeIndex] = &[0, 2, 3, 6, 7];
/// The types of the reserved round's lots; the next round adds the rest.
pub const ROUND_TYPES: &[TypeIndex] = &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

/// A word for the business of each type, used in organisation names.
pub const TYPE_WORDS: &[&str] = &[
    "Snickeri",
    "Trädgård",
    "Kafé",
    "Second hand",
    "Återbruk",
    "Textilverkstad",
    "Städ",
    "Fastighetsservice",
    "Cykelverkstad",
    "Kontorsservice",
    "Djurgård",
    "Digitalbyrå",
];

pub const FIRST_NAMES_FEMALE: &[&str] = &[
    "Anna",
    "Eva",
    "Maria",
    "Karin",
    "Sara",
    "Elin",
    "Emma",
    "Hanna",
    "Ida",
    "Maja",
    "Linnea",
    "Johanna",
    "Sofia",
    "Lena",
    "Kristina",
    "Amina",
    "Fatima",
    "Leila",
    "Noor",
    "Aisha",
    "Zahra",
    "Hodan",
    "Mariam",
    "Yasmin",
    "Agnieszka",
    "Olena",
    "Dragana",
    "Samira",
    "Huda",
    "Nadia",
];

pub const FIRST_NAMES_MALE: &[&str] = &[
    "Erik", "Lars", "Johan", "Anders", "Per", "Karl", "Mikael", "Daniel", "Oskar", "Jonas",
    "Niklas", "Mattias", "Emil", "Viktor", "Fredrik", "Mohammed", "Ali", "Ahmed", "Omar", "Yusuf",
    "Hassan", "Abdi", "Mustafa", "Ibrahim", "Tomasz", "Dmytro", "Nenad", "Karim", "Samir", "Bilal",
];

/// Invented surnames: a first part and an ending.
pub const SURNAME_HEADS: &[&str] = &[
    "Lingon",
    "Kotte",
    "Näver",
    "Ripe",
    "Mosse",
    "Kvist",
    "Sälge",
    "Tjärn",
    "Hjortron",
    "Myrten",
    "Fjällsip",
    "Blåbärs",
    "Vitmoss",
    "Rönnbär",
    "Kråkris",
    "Odon",
    "Enbusk",
    "Starr",
    "Ljung",
    "Harsyre",
];

pub const SURNAME_TAILS: &[&str] = &[
    "backe", "lyckan", "sköld", "vinge", "myra", "dal", "hed", "tjärn", "udde", "bo", "rot", "löv",
    "strand", "sjö", "näs",
];

/// Invented place names (for organisations and municipalities).
pub const PLACE_HEADS: &[&str] = &[
    "Kvarn", "Lingon", "Tall", "Ripe", "Myr", "Fjäll", "Björk", "Hägg", "Sälg", "Kotte", "Näver",
    "Starr", "Ljung", "Hjort", "Tjäder", "Orre", "Lo", "Järv", "Asp", "Rönn",
];

pub const PLACE_TAILS: &[&str] = &[
    "backen", "bo", "mon", "udden", "viken", "ås", "tjärn", "forsen", "dalen", "heden", "näset",
    "sjön", "lunden", "gärdet", "holmen",
];

/// Municipality name tails (a municipality is "Xby kommun").
pub const MUNICIPALITY_TAILS: &[&str] = &[
    "sjö", "å", "by", "vik", "fors", "dal", "berg", "holm", "näs", "stad", "hed", "mo",
];

/// Why a case worker chose a placement (the referral's reason).
pub const REFERRAL_REASONS: &[&str] = &[
    "Deltagarens önskemål och behov matchar placeringen.",
    "Rangordning enligt ramavtalet.",
    "Deltagaren vill pröva yrket inför studier.",
    "Placeringen ger språkträning i vardagligt arbete.",
    "Anpassad takt utifrån deltagarens hälsa.",
];

/// The goals recorded for a placement.
pub const PLACEMENT_GOALS: &[&str] = &[
    "Stärka arbetsförmågan och pröva yrket.",
    "Öka närvaron till heltid och få en referens.",
    "Träna svenska i arbetet och få ett intyg.",
    "Komma närmare arbete eller studier.",
    "Bygga rutiner och en hållbar arbetsdag.",
];

/// The round's qualitative criterion and the suppliers' answers.
pub const QUALITY_ANSWERS: &[&str] = &[
    "Handledare på plats varje dag och individuell plan efter fyra veckor.",
    "Arbetslag med erfarna handledare och stegvis ökat ansvar.",
    "Studiecirklar i svenska kopplade till arbetsuppgifterna.",
    "Samverkan med vuxenutbildningen och praktik hos kunder.",
];

/// Swedish ASCII folding for slugs and e-mail addresses.
pub fn ascii(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            'å' | 'ä' | 'Å' | 'Ä' => Some('a'),
            'ö' | 'Ö' => Some('o'),
            'é' | 'É' => Some('e'),
            c if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

/// Capitalises the first letter.
pub fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

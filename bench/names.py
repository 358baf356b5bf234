"""Plausible village-shop product names for the benchmarks (fictitious brands, Indonesian words).

Names combine a kind of goods, a variant, a brand and a pack size ("Minyak Goreng Pouch Sinar
Pagi 2 L"), so common words such as "beras" or "gula" match hundreds of products out of
20,000 and a rare word ("andaliman", the Batak pepper) matches only `RARE_COUNT` of them.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Iterator

RARE_WORD = "andaliman"
RARE_COUNT = 3

# (kind of goods, category, unit, typical pack sizes)
KINDS = (
    ("Beras", "sembako", "karung", ("5 kg", "10 kg", "25 kg")),
    ("Beras Curah", "sembako", "kg", ("",)),
    ("Gula Pasir", "sembako", "bungkus", ("500 g", "1 kg", "2 kg")),
    ("Gula Merah", "sembako", "bungkus", ("250 g", "500 g")),
    ("Minyak Goreng", "sembako", "pouch", ("1 L", "2 L")),
    ("Minyak Goreng Curah", "sembako", "liter", ("",)),
    ("Tepung Terigu", "sembako", "bungkus", ("500 g", "1 kg")),
    ("Tepung Beras", "sembako", "bungkus", ("500 g",)),
    ("Telur Ayam", "sembako", "kg", ("",)),
    ("Garam Beryodium", "sembako", "bungkus", ("250 g", "500 g")),
    ("Kecap Manis", "sembako", "botol", ("135 ml", "520 ml")),
    ("Mie Instan", "sembako", "bungkus", ("", "isi 5")),
    ("Kopi Bubuk", "sembako", "bungkus", ("65 g", "165 g", "renceng 10")),
    ("Teh Celup", "sembako", "kotak", ("isi 25", "isi 50")),
    ("Susu Kental Manis", "sembako", "kaleng", ("370 g", "sachet 40 g")),
    ("Sarden", "sembako", "kaleng", ("155 g", "425 g")),
    ("Santan Kelapa", "sembako", "kotak", ("65 ml", "200 ml")),
    ("Margarin", "sembako", "bungkus", ("200 g", "1 kg")),
    ("Saus Sambal", "sembako", "botol", ("140 ml", "340 ml")),
    ("Bumbu Instan", "sembako", "sachet", ("", "renceng 12")),
    ("Kerupuk", "sembako", "bungkus", ("250 g", "500 g")),
    ("Biskuit", "sembako", "bungkus", ("120 g", "300 g")),
    ("Air Mineral", "sembako", "botol", ("600 ml", "1,5 L", "dus 24")),
    ("Kacang Tanah", "sembako", "kg", ("",)),
    ("Kedelai", "sembako", "kg", ("",)),
    ("Bawang Merah", "sembako", "kg", ("",)),
    ("Bawang Putih", "sembako", "kg", ("",)),
    ("Ikan Asin", "sembako", "bungkus", ("100 g", "250 g")),
    ("Sabun Mandi", "lainnya", "batang", ("80 g", "isi 3")),
    ("Sampo", "lainnya", "botol", ("170 ml", "sachet 10 ml")),
    ("Pasta Gigi", "lainnya", "tube", ("75 g", "190 g")),
    ("Deterjen Bubuk", "lainnya", "bungkus", ("800 g", "1,8 kg")),
    ("Sabun Cuci Piring", "lainnya", "pouch", ("400 ml", "800 ml")),
    ("Obat Nyamuk Bakar", "lainnya", "kotak", ("isi 10",)),
    ("Korek Api", "lainnya", "pak", ("isi 10",)),
    ("Lilin", "lainnya", "pak", ("isi 6",)),
    ("Minyak Kayu Putih", "lainnya", "botol", ("30 ml", "60 ml")),
    ("Tisu Wajah", "lainnya", "pak", ("isi 250",)),
    ("Baterai", "lainnya", "pak", ("AA isi 2", "AAA isi 2")),
    ("Buku Tulis", "lainnya", "pak", ("isi 10",)),
    ("LPG", "lpg", "tabung", ("3 kg", "5,5 kg", "12 kg")),
    ("Pupuk Urea", "pupuk", "karung", ("50 kg",)),
    ("Pupuk NPK", "pupuk", "karung", ("50 kg",)),
    ("Pupuk ZA", "pupuk", "karung", ("50 kg",)),
    ("Pupuk Organik", "pupuk", "karung", ("40 kg",)),
    ("Bibit Padi", "pupuk", "bungkus", ("5 kg",)),
)
VARIANTS = ("", "", "Premium", "Medium", "Super", "Ekonomis", "Kemasan Hemat", "Isi Ulang", "Original", "Pedas",
            "Manis", "Rasa Ayam Bawang", "Rasa Soto", "Pandan Wangi", "Rojolele", "Pouch", "Jumbo", "Mini",
            "Kuning", "Hijau", "Asli", "Spesial")
BRANDS = ("Cap Padi Emas", "Sumber Rejeki", "Tani Makmur", "Sari Murni", "Mekar Jaya", "Sinar Pagi", "Cahaya Desa",
          "Putri Ayu", "Mawar Sari", "Berkah Abadi", "Nusa Indah", "Lestari", "Sejahtera", "Rumah Kita",
          "Bintang Timur", "Kembang Desa", "Pelita", "Maju Bersama", "Gunung Mas", "Sri Rejeki", "Bunga Tanjung",
          "Merapi", "Sidomulyo", "Lumbung Padi", "Mentari", "Tunas Harapan", "Kencana", "Anugerah", "Mulia",
          "Permata", "Dua Saudara", "Karya Tani", "Sumber Makmur", "Cap Kapal", "Cap Ayam Jago", "Nyiur")


@dataclass(frozen=True)
class Item:
    name: str
    category: str
    unit: str


def catalog(n: int, rng: random.Random) -> Iterator[Item]:
    """`n` distinct names; `RARE_COUNT` of them (spread through the list) carry `RARE_WORD`."""
    rare_at = set(rng.sample(range(n), min(RARE_COUNT, n)))
    seen: set[str] = set()
    for i in range(n):
        if i in rare_at:
            name = f"Sambal {RARE_WORD.capitalize()} {rng.choice(BRANDS)} {100 + i} g"
            seen.add(name)
            yield Item(name, "sembako", "botol")
            continue
        for _attempt in range(50):
            kind, category, unit, sizes = rng.choice(KINDS)
            words = (kind, rng.choice(VARIANTS), rng.choice(BRANDS), rng.choice(sizes))
            name = " ".join(w for w in words if w)
            if name not in seen:
                break
        else:
            name = f"{name} No. {i}"  # about 70,000 combinations: only a huge catalog gets here
        seen.add(name)
        yield Item(name, category, unit)

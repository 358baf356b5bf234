"""The demo shop's suppliers and catalog: a village cooperative shop in HET zone 1 (Jawa).

Pure data for `gerai demo` and for tests; imports nothing from the app. Regulated figures are
those DESIGN.md quotes for 2025-2026 (zone 1): SPHP Rp12.500/kg, beras medium Rp13.500/kg,
premium Rp14.900/kg, Minyakita Rp15.700/l, subsidised fertilizer per kg since 22 Oct 2025
(Urea 1.800, NPK 1.840, NPK kakao 2.640, ZA 1.360, organik 640; sacks of 50 kg, organik 40 kg),
SPHP at most 5 packs per buyer per day (the 2026 figure). LPG 3 kg's HET (Rp18.000) stands for
one regency's figure. Other prices are typical village retail prices, not caps.

Barcodes are fictitious GTINs under Indonesia's GS1 prefix 899 with correct check digits; goods
sold loose by weight have none. Every product carries the API's product fields plus the demo-only
keys in `DEMO_ONLY_KEYS`, which a loader strips before creating the product:
- `opening_stock`: decimal string, what the shop has on hand today, after the generated history;
- `unit_cost`: whole Rupiah the shop pays per unit (below `price`);
- `daily_demand`: mean units sold per day, only for generating plausible history;
- `demand_stops_days_ago`: None, or the number of days since the product stopped selling;
- `shelf_life_days`: None for goods that do not spoil.
"""
from __future__ import annotations

DEMO_ONLY_KEYS = frozenset(
    {"opening_stock", "unit_cost", "daily_demand", "demand_stops_days_ago", "shelf_life_days"}
)


def gs1_check_digit(body: str) -> str:
    """GS1 check digit: weights 3,1,3,... from the rightmost digit of the body, then mod 10."""
    if not body.isdigit():
        raise ValueError(f"GTIN body must be digits: {body!r}")
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str(-total % 10)


def gtin13(body12: str) -> str:
    """EAN-13 from its first 12 digits."""
    if len(body12) != 12:
        raise ValueError(f"EAN-13 body needs 12 digits: {body12!r}")
    return body12 + gs1_check_digit(body12)


def gtin8(body7: str) -> str:
    """EAN-8 (small packs such as sachets) from its first 7 digits."""
    if len(body7) != 7:
        raise ValueError(f"EAN-8 body needs 7 digits: {body7!r}")
    return body7 + gs1_check_digit(body7)


def _product(**fields: object) -> dict:
    """One catalog entry: the fields given, over the defaults of an unregulated product."""
    return {
        "barcodes": [], "het": None, "subsidised": False, "quota": None, "reorder": None,
        "demand_stops_days_ago": None, **fields,
    }


SUPPLIERS: list[dict] = [
    {"code": "BULOG", "name": "Perum Bulog (Kantor Cabang)", "lead_time_days": 3,
     "pack_size": None, "contact": "Kantor Cabang Bulog, telp. (0271) 555-0101"},
    {"code": "IDFOOD", "name": "ID FOOD (PT Rajawali Nusantara Indonesia)", "lead_time_days": 5,
     "pack_size": None, "contact": "Gerai distribusi ID FOOD, telp. (021) 555-0102"},
    {"code": "AGEN-LPG", "name": "PT Sumber Gas Makmur, Agen LPG 3 kg", "lead_time_days": 2,
     "pack_size": "10", "contact": "Agen LPG, WA 0812-5550-0103"},
    {"code": "PUPUK-INDONESIA", "name": "Distributor resmi Pupuk Indonesia", "lead_time_days": 7,
     "pack_size": None, "contact": "Distributor pupuk kecamatan, WA 0813-5550-0104"},
]

_SEMBAKO_BULOG = {"category": "sembako", "supplier": "BULOG"}
_SEMBAKO_IDFOOD = {"category": "sembako", "supplier": "IDFOOD"}
_LAINNYA = {"category": "lainnya", "supplier": "IDFOOD", "taxable": True}
_LPG = {"category": "lpg", "supplier": "AGEN-LPG", "taxable": False, "shelf_life_days": None}
_PUPUK = {"category": "pupuk", "supplier": "PUPUK-INDONESIA", "shelf_life_days": None}

PRODUCTS: list[dict] = [
    # Beras: SPHP is capped and quota'd; medium and premium capped per kg, loose or packed.
    _product(**_SEMBAKO_BULOG, sku="BRS-SPHP-5", name="Beras SPHP 5 kg",
             barcodes=[gtin13("899100100001")], unit="bungkus", price=62500, het=62500,
             subsidised=True, quota={"qty": "5", "period_days": 1}, taxable=False,
             opening_stock="40", unit_cost=55000, daily_demand=6.0, shelf_life_days=180),
    _product(**_SEMBAKO_BULOG, sku="BRS-MED-KG", name="Beras medium curah (per kg)",
             unit="kg", price=13000, het=13500, taxable=False,
             opening_stock="185.500", unit_cost=11800, daily_demand=14.0, shelf_life_days=180),
    _product(**_SEMBAKO_BULOG, sku="BRS-MED-5", name="Beras medium 5 kg",
             barcodes=[gtin13("899100100002")], unit="bungkus", price=66500, het=67500,
             taxable=False, opening_stock="24", unit_cost=60500, daily_demand=3.0,
             shelf_life_days=180),
    _product(**_SEMBAKO_BULOG, sku="BRS-MED-10", name="Beras medium 10 kg",
             barcodes=[gtin13("899100100003")], unit="sak", price=132500, het=135000,
             taxable=False, opening_stock="12", unit_cost=120000, daily_demand=1.2,
             shelf_life_days=180),
    _product(**_SEMBAKO_BULOG, sku="BRS-PRM-KG", name="Beras premium curah (per kg)",
             unit="kg", price=14500, het=14900, taxable=False,
             opening_stock="96.250", unit_cost=13200, daily_demand=6.5, shelf_life_days=180),
    _product(**_SEMBAKO_BULOG, sku="BRS-PRM-5", name="Beras premium 5 kg",
             barcodes=[gtin13("899100100004"), gtin13("899100100014")], unit="bungkus",
             price=73500, het=74500, taxable=False, opening_stock="18", unit_cost=67000,
             daily_demand=2.0, shelf_life_days=180),
    _product(**_SEMBAKO_BULOG, sku="BRS-PRM-10", name="Beras premium 10 kg",
             barcodes=[gtin13("899100100005")], unit="sak", price=146500, het=149000,
             taxable=False, opening_stock="8", unit_cost=134000, daily_demand=0.8,
             shelf_life_days=180),
    _product(**_SEMBAKO_BULOG, sku="BRS-KTN-KG", name="Beras ketan putih (per kg)",
             unit="kg", price=18000, taxable=False, opening_stock="42.000", unit_cost=15500,
             daily_demand=1.5, demand_stops_days_ago=12, shelf_life_days=180),
    # Gula, minyak, tepung, telur.
    _product(**_SEMBAKO_IDFOOD, sku="GLP-1", name="Gula pasir kemasan 1 kg",
             barcodes=[gtin13("899200300011")], unit="bungkus", price=18000, taxable=False,
             opening_stock="6", unit_cost=16200, daily_demand=8.0, shelf_life_days=730),
    _product(**_SEMBAKO_IDFOOD, sku="GLP-KG", name="Gula pasir curah (per kg)",
             unit="kg", price=17500, taxable=False, opening_stock="64.500", unit_cost=15900,
             daily_demand=4.0, shelf_life_days=730),
    _product(**_SEMBAKO_IDFOOD, sku="GLM-KG", name="Gula merah kelapa (per kg)",
             unit="kg", price=22000, taxable=False, opening_stock="11.750", unit_cost=18500,
             daily_demand=0.8, shelf_life_days=180),
    _product(**_SEMBAKO_BULOG, sku="MYK-1L", name="Minyakita 1 liter (pouch)",
             barcodes=[gtin13("899100100021")], unit="bungkus", price=15700, het=15700,
             taxable=True, opening_stock="60", unit_cost=14500, daily_demand=10.0,
             shelf_life_days=365),
    _product(**_SEMBAKO_BULOG, sku="MYK-BTL-1L", name="Minyakita 1 liter (botol)",
             barcodes=[gtin13("899100100022")], unit="botol", price=15700, het=15700,
             taxable=True, opening_stock="24", unit_cost=14600, daily_demand=2.5,
             shelf_life_days=365),
    _product(**_SEMBAKO_BULOG, sku="MYK-2L", name="Minyakita 2 liter (pouch)",
             barcodes=[gtin13("899100100023")], unit="bungkus", price=31400, het=31400,
             taxable=True, opening_stock="20", unit_cost=29000, daily_demand=2.0,
             shelf_life_days=365),
    _product(**_SEMBAKO_IDFOOD, sku="MYG-PRM-1L", name="Minyak goreng premium 1 liter",
             barcodes=[gtin13("899200300031")], unit="bungkus", price=20500, taxable=True,
             opening_stock="30", unit_cost=18600, daily_demand=3.0, shelf_life_days=365),
    _product(**_SEMBAKO_IDFOOD, sku="MYG-PRM-2L", name="Minyak goreng premium 2 liter",
             barcodes=[gtin13("899200300032")], unit="bungkus", price=40000, taxable=True,
             opening_stock="16", unit_cost=36500, daily_demand=1.5, shelf_life_days=365),
    _product(**_SEMBAKO_IDFOOD, sku="MYG-CRH-L", name="Minyak goreng curah (per liter)",
             unit="liter", price=17500, taxable=True, opening_stock="35.500", unit_cost=15800,
             daily_demand=3.5, shelf_life_days=180),
    _product(**_SEMBAKO_BULOG, sku="TPG-1", name="Tepung terigu serbaguna 1 kg",
             barcodes=[gtin13("899100100041")], unit="bungkus", price=13000, taxable=True,
             opening_stock="36", unit_cost=11500, daily_demand=3.0, shelf_life_days=365),
    _product(**_SEMBAKO_BULOG, sku="TPG-KG", name="Tepung terigu curah (per kg)",
             unit="kg", price=11500, taxable=True, opening_stock="22.000", unit_cost=10000,
             daily_demand=1.5, shelf_life_days=180),
    _product(**_SEMBAKO_IDFOOD, sku="TPG-BRS-500", name="Tepung beras 500 g",
             barcodes=[gtin13("899200300041")], unit="bungkus", price=7500, taxable=True,
             opening_stock="20", unit_cost=6400, daily_demand=1.0, shelf_life_days=365),
    _product(**_SEMBAKO_IDFOOD, sku="TPG-TPK-500", name="Tepung tapioka 500 g",
             barcodes=[gtin13("899200300042")], unit="bungkus", price=7000, taxable=True,
             opening_stock="260", unit_cost=5900, daily_demand=0.6, shelf_life_days=365),
    _product(**_SEMBAKO_IDFOOD, sku="TLR-KG", name="Telur ayam ras (per kg)",
             unit="kg", price=29000, taxable=False, opening_stock="38.400", unit_cost=26500,
             daily_demand=7.0, shelf_life_days=21),
    # Mi, bumbu, minuman.
    _product(**_SEMBAKO_IDFOOD, sku="MI-GRG", name="Mi instan goreng 85 g",
             barcodes=[gtin13("899300500011")], unit="bungkus", price=3500, taxable=True,
             opening_stock="160", unit_cost=2950, daily_demand=25.0, shelf_life_days=240),
    _product(**_SEMBAKO_IDFOOD, sku="MI-SOTO", name="Mi instan kuah rasa soto 75 g",
             barcodes=[gtin13("899300500012")], unit="bungkus", price=3300, taxable=True,
             opening_stock="120", unit_cost=2800, daily_demand=15.0, shelf_life_days=240),
    _product(**_SEMBAKO_IDFOOD, sku="MI-AB", name="Mi instan kuah rasa ayam bawang 69 g",
             barcodes=[gtin13("899300500013")], unit="bungkus", price=3300, taxable=True,
             opening_stock="110", unit_cost=2800, daily_demand=12.0, shelf_life_days=240),
    _product(**_SEMBAKO_IDFOOD, sku="MI-GRG-DUS", name="Mi instan goreng 1 dus (40 bungkus)",
             barcodes=[gtin13("899300500019")], unit="dus", price=125000, taxable=True,
             opening_stock="6", unit_cost=116000, daily_demand=0.4, shelf_life_days=240),
    _product(**_SEMBAKO_IDFOOD, sku="MI-TLR-200", name="Mi telur kering 200 g",
             barcodes=[gtin13("899300500021")], unit="bungkus", price=6500, taxable=True,
             opening_stock="34", unit_cost=5300, daily_demand=1.5, demand_stops_days_ago=12,
             shelf_life_days=365),
    _product(**_SEMBAKO_IDFOOD, sku="GRM-250", name="Garam beryodium halus 250 g",
             barcodes=[gtin13("899400700011")], unit="bungkus", price=3000, taxable=False,
             opening_stock="48", unit_cost=2300, daily_demand=3.0, shelf_life_days=None),
    _product(**_SEMBAKO_IDFOOD, sku="GRM-BTA", name="Garam beryodium bata",
             barcodes=[gtin8("8994007")], unit="pcs", price=1000, taxable=False,
             opening_stock="75", unit_cost=700, daily_demand=2.5, shelf_life_days=None),
    _product(**_SEMBAKO_IDFOOD, sku="KCP-275", name="Kecap manis botol 275 ml",
             barcodes=[gtin13("899300600011")], unit="botol", price=11500, taxable=True,
             opening_stock="18", unit_cost=9800, daily_demand=1.2, shelf_life_days=540),
    _product(**_SEMBAKO_IDFOOD, sku="KCP-REF-520", name="Kecap manis isi ulang 520 ml",
             barcodes=[gtin13("899300600012")], unit="bungkus", price=20000, taxable=True,
             opening_stock="15", unit_cost=17500, daily_demand=1.5, shelf_life_days=540),
    _product(**_SEMBAKO_IDFOOD, sku="SMB-135", name="Saus sambal botol 135 ml",
             barcodes=[gtin13("899300600021")], unit="botol", price=7000, taxable=True,
             opening_stock="20", unit_cost=5800, daily_demand=0.8, shelf_life_days=540),
    _product(**_SEMBAKO_IDFOOD, sku="TEH-CLP-25", name="Teh celup isi 25",
             barcodes=[gtin13("899300800011")], unit="dus", price=6500, taxable=True,
             opening_stock="30", unit_cost=5400, daily_demand=1.5, shelf_life_days=730),
    _product(**_SEMBAKO_IDFOOD, sku="TEH-TBR-40", name="Teh tubruk 40 g",
             barcodes=[gtin8("8993008")], unit="bungkus", price=3500, taxable=True,
             opening_stock="40", unit_cost=2800, daily_demand=2.0, shelf_life_days=730),
    _product(**_SEMBAKO_IDFOOD, sku="KPI-SCH", name="Kopi susu 3in1 sachet 20 g",
             barcodes=[gtin13("899300800021")], unit="sachet", price=1500, taxable=True,
             opening_stock="240", unit_cost=1150, daily_demand=20.0, shelf_life_days=365),
    _product(**_SEMBAKO_IDFOOD, sku="KPI-HTM-165", name="Kopi bubuk hitam 165 g",
             barcodes=[gtin13("899300800022")], unit="bungkus", price=13500, taxable=True,
             opening_stock="14", unit_cost=11500, daily_demand=0.9, shelf_life_days=365),
    _product(**_SEMBAKO_IDFOOD, sku="SKM-KLG-370", name="Susu kental manis kaleng 370 g",
             barcodes=[gtin13("899300900011")], unit="kaleng", price=12500, taxable=True,
             opening_stock="24", unit_cost=10800, daily_demand=1.5, shelf_life_days=365),
    _product(**_SEMBAKO_IDFOOD, sku="SKM-SCH", name="Susu kental manis sachet 37 g",
             barcodes=[gtin13("899300900012")], unit="sachet", price=1500, taxable=True,
             opening_stock="180", unit_cost=1150, daily_demand=10.0, shelf_life_days=270),
    _product(**_SEMBAKO_IDFOOD, sku="SSU-BBK-400", name="Susu bubuk full cream 400 g",
             barcodes=[gtin13("899300900021")], unit="dus", price=52000, taxable=True,
             opening_stock="9", unit_cost=46000, daily_demand=0.5, demand_stops_days_ago=12,
             shelf_life_days=540),
    _product(**_SEMBAKO_IDFOOD, sku="SRD-155", name="Sarden saus tomat 155 g",
             barcodes=[gtin13("899300900031")], unit="kaleng", price=10500, taxable=True,
             opening_stock="30", unit_cost=8900, daily_demand=1.0, shelf_life_days=730),
    _product(**_SEMBAKO_IDFOOD, sku="AIR-600", name="Air mineral 600 ml",
             barcodes=[gtin13("899301000011")], unit="botol", price=3500, taxable=True,
             opening_stock="72", unit_cost=2400, daily_demand=8.0, shelf_life_days=730),
    _product(**_SEMBAKO_IDFOOD, sku="AIR-600-DUS", name="Air mineral 600 ml 1 dus (24 botol)",
             barcodes=[gtin13("899301000012")], unit="dus", price=55000, taxable=True,
             opening_stock="10", unit_cost=48000, daily_demand=0.5, shelf_life_days=730),
    # Kebutuhan rumah tangga.
    _product(**_LAINNYA, sku="SBN-BTG-75", name="Sabun mandi batang 75 g",
             barcodes=[gtin13("899500200011")], unit="pcs", price=4000, opening_stock="60",
             unit_cost=3200, daily_demand=3.0, shelf_life_days=None),
    _product(**_LAINNYA, sku="SBN-CR-450", name="Sabun mandi cair isi ulang 450 ml",
             barcodes=[gtin13("899500200012")], unit="bungkus", price=22000, opening_stock="12",
             unit_cost=18800, daily_demand=0.7, shelf_life_days=None),
    _product(**_LAINNYA, sku="DTG-800", name="Deterjen bubuk 800 g",
             barcodes=[gtin13("899500200021")], unit="bungkus", price=22500, opening_stock="20",
             unit_cost=19500, daily_demand=1.5, shelf_life_days=None),
    _product(**_LAINNYA, sku="DTG-SCH", name="Deterjen bubuk sachet 23 g",
             barcodes=[gtin8("8995002")], unit="sachet", price=1000, opening_stock="200",
             unit_cost=750, daily_demand=9.0, shelf_life_days=None),
    _product(**_LAINNYA, sku="SBC-PRG-750", name="Sabun cuci piring isi ulang 750 ml",
             barcodes=[gtin13("899500200031")], unit="bungkus", price=14500, opening_stock="18",
             unit_cost=12300, daily_demand=1.4, shelf_life_days=None),
    _product(**_LAINNYA, sku="SBC-CLK-450", name="Sabun colek 450 g",
             barcodes=[gtin13("899500200032")], unit="pcs", price=8000, opening_stock="16",
             unit_cost=6600, daily_demand=0.8, shelf_life_days=None),
    _product(**_LAINNYA, sku="SMP-SCH", name="Sampo sachet 10 ml",
             barcodes=[gtin13("899500200041")], unit="sachet", price=1000, opening_stock="144",
             unit_cost=760, daily_demand=6.0, shelf_life_days=None),
    _product(**_LAINNYA, sku="PSG-190", name="Pasta gigi 190 g",
             barcodes=[gtin13("899500200051"), gtin13("899500200052")], unit="pcs",
             price=13500, opening_stock="15", unit_cost=11400, daily_demand=0.8,
             shelf_life_days=None),
    _product(**_LAINNYA, sku="KRK-GAS", name="Korek api gas",
             barcodes=[gtin13("899500300011")], unit="pcs", price=3000, opening_stock="50",
             unit_cost=2000, daily_demand=2.0, shelf_life_days=None),
    _product(**_LAINNYA, sku="LLN-10", name="Lilin putih isi 10",
             barcodes=[gtin13("899500300021")], unit="bungkus", price=8000, opening_stock="12",
             unit_cost=6300, daily_demand=0.3, shelf_life_days=None),
    _product(**_LAINNYA, sku="OBN-BKR-10", name="Obat nyamuk bakar isi 10",
             barcodes=[gtin13("899500300031")], unit="dus", price=6000, opening_stock="25",
             unit_cost=4800, daily_demand=1.2, shelf_life_days=None),
    _product(**_LAINNYA, sku="BTR-AA-2", name="Baterai AA isi 2",
             barcodes=[gtin13("899500300041")], unit="bungkus", price=9000, opening_stock="480",
             unit_cost=7000, daily_demand=0.4, shelf_life_days=None),
    # LPG: 3 kg is subsidised (NIK and buyer category at the till; per-NIK limit off by default).
    _product(**_LPG, sku="LPG-3", name="LPG 3 kg (isi ulang, subsidi)", unit="tabung",
             price=18000, het=18000, subsidised=True, opening_stock="45", unit_cost=15500,
             daily_demand=12.0),
    _product(**_LPG, sku="LPG-BG-5.5", name="Bright Gas 5,5 kg (isi ulang)", unit="tabung",
             price=95000, opening_stock="6", unit_cost=88000, daily_demand=0.5),
    _product(**_LPG, sku="LPG-BG-12", name="Bright Gas 12 kg (isi ulang)", unit="tabung",
             price=196000, opening_stock="4", unit_cost=186000, daily_demand=0.2),
    # Pupuk: subsidised per sack = HET per kg x sack weight; the quota lives in i-Pubers.
    _product(**_PUPUK, sku="PPK-UREA-SUB", name="Pupuk Urea bersubsidi 50 kg", unit="sak",
             price=90000, het=90000, subsidised=True, taxable=False, opening_stock="40",
             unit_cost=86000, daily_demand=2.5),
    _product(**_PUPUK, sku="PPK-NPK-SUB", name="Pupuk NPK bersubsidi 50 kg", unit="sak",
             price=92000, het=92000, subsidised=True, taxable=False, opening_stock="40",
             unit_cost=88000, daily_demand=2.5),
    _product(**_PUPUK, sku="PPK-NPKK-SUB", name="Pupuk NPK kakao bersubsidi 50 kg",
             unit="sak", price=132000, het=132000, subsidised=True, taxable=False,
             opening_stock="10", unit_cost=127000, daily_demand=0.3),
    _product(**_PUPUK, sku="PPK-ZA-SUB", name="Pupuk ZA bersubsidi 50 kg", unit="sak",
             price=68000, het=68000, subsidised=True, taxable=False, opening_stock="15",
             unit_cost=65000, daily_demand=0.8, demand_stops_days_ago=12),
    _product(**_PUPUK, sku="PPK-ORG-SUB", name="Pupuk organik bersubsidi 40 kg", unit="sak",
             price=25600, het=25600, subsidised=True, taxable=False, opening_stock="30",
             unit_cost=24000, daily_demand=1.0),
    _product(**_PUPUK, sku="PPK-UREA-NS", name="Pupuk Urea non-subsidi 50 kg", unit="sak",
             price=345000, taxable=True, opening_stock="8", unit_cost=322000,
             daily_demand=0.3),
    _product(**_PUPUK, sku="PPK-NPK-NS", name="Pupuk NPK non-subsidi 50 kg", unit="sak",
             price=560000, taxable=True, opening_stock="5", unit_cost=525000,
             daily_demand=0.2),
]

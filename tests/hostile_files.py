"""A hostile pool for injection tests: the classroom example with Markdown and HTML in every id,
value, category name and file name (an image at 127.0.0.1:9, a raw HTML tag, bold, a link)."""

from __future__ import annotations

import csv
import io

IMAGE = "![p](http://127.0.0.1:9/x.png)"
HTML = "<img src=x onerror=alert(1)>"
BOLD = "**b**"
LINK = "[l](http://127.0.0.1:9/l)"
FORMULA = "=HYPERLINK(\"http://127.0.0.1:9/f\")"
PAYLOADS = (IMAGE, HTML, BOLD, LINK)

GENDER, AGE = f"gender{LINK}", f"age{BOLD}{HTML}"
VALUES = {"woman": f"woman{IMAGE}", "man": f"{FORMULA}man{HTML}", "under 30": f"young{LINK}",
          "30-59": f"-mid{BOLD}", "60+": f"@old{IMAGE}"}
POOL_NAME, QUOTAS_NAME = f"pool{IMAGE}.csv", f"quotas{LINK}.csv"
PEOPLE = [("Ada", "woman", "under 30"), ("Bea", "woman", "30-59"), ("Cleo", "woman", "30-59"),
          ("Dora", "woman", "30-59"), ("Eve", "woman", "30-59"), ("Fay", "woman", "60+"), ("Gina", "woman", "60+"),
          ("Hana", "woman", "60+"), ("Ivan", "man", "under 30"), ("Jon", "man", "under 30"), ("Kai", "man", "30-59"),
          ("Leo", "man", "60+")]
K = 4


def hostile_id(i: int, name: str) -> str:
    return ("=" if i == 0 else "") + f"{name}{PAYLOADS[i % len(PAYLOADS)]}"


def hostile_files(gender_min: int = 2) -> tuple[bytes, bytes]:
    """(pool CSV, quota CSV) bytes; gender_min=3 makes the quotas impossible (2 x 3 seats > k=4)."""
    pool = io.StringIO()
    writer = csv.writer(pool)
    writer.writerow(["id", GENDER, AGE])
    for i, (name, gender, age) in enumerate(PEOPLE):
        writer.writerow([hostile_id(i, name), VALUES[gender], VALUES[age]])
    quotas = io.StringIO()
    writer = csv.writer(quotas)
    writer.writerow(["category", "feature", "min", "max", "population_share"])
    for category, value, low, high, share in [(GENDER, "woman", gender_min, gender_min, 0.5),
                                              (GENDER, "man", gender_min, gender_min, 0.5),
                                              (AGE, "under 30", 1, 2, 0.3), (AGE, "30-59", 1, 2, 0.4),
                                              (AGE, "60+", 1, 2, 0.3)]:
        writer.writerow([category, VALUES[value], low, high, share])
    return pool.getvalue().encode(), quotas.getvalue().encode()

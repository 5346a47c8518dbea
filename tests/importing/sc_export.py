"""Build realistic TikTok Shop Seller Center order exports (OrderSKUList) for tests.

The layout follows ``/work/shared/reference/tiktok-shop-us.md`` §6: one row per order × SKU,
a description row under the header, ids followed by a tab character (as the real CSV export
writes them), amounts as text, dates as ``MM/DD/YYYY HH:MM:SS`` (US) or ``DD/MM/YYYY …``
(non-US samples) and market-specific address columns.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

COMMON_HEAD = [
    "Order ID",
    "Order Status",
    "Order Substatus",
    "Cancelation/Return Type",
    "Normal or Pre-order",
    "SKU ID",
    "Seller SKU",
    "Product Name",
    "Variation",
    "Quantity",
    "Sku Quantity of return",
    "SKU Unit Original Price",
    "SKU Subtotal Before Discount",
    "SKU Platform Discount",
    "SKU Seller Discount",
    "SKU Subtotal After Discount",
    "Shipping Fee After Discount",
    "Original Shipping Fee",
    "Shipping Fee Seller Discount",
    "Shipping Fee Platform Discount",
    "Payment platform discount",
    "Taxes",
    "Small Order Fee",
    "Order Amount",
    "Order Refund Amount",
    "Created Time",
    "Paid Time",
    "RTS Time",
    "Shipped Time",
    "Delivered Time",
    "Cancelled Time",
    "Cancel By",
    "Cancel Reason",
    "Fulfillment Type",
    "Warehouse Name",
    "Tracking ID",
    "Delivery Option",
    "Shipping Provider Name",
    "Buyer Message",
    "Buyer Username",
    "Recipient",
    "Phone #",
]
ADDRESS_US = [
    "Zipcode",
    "Country",
    "State",
    "City",
    "Detail Address",
    "Additional address information",
]
ADDRESS_UK = ["Postcode", "Country", "County", "Post Town", "Districts", "Detail Address"]
COMMON_TAIL = [
    "Payment Method",
    "Weight(kg)",
    "Product Category",
    "Package ID",
    "Seller Note",
    "Checked Status",
    "Checked Marked by",
]

DESCRIPTIONS = {
    "Order ID": "Platform unique order ID.",
    "Order Status": "Order status.",
    "Quantity": "SKU sold quantity in the order.",
    "Created Time": "Order creation time.",
}


@dataclass
class Line:
    order_id: str
    status: str
    sku: str
    name: str
    qty: int
    price: str
    created: datetime
    variation: str = ""
    platform_sku: str = ""
    seller_discount: str = "0"
    platform_discount: str = "0"
    return_qty: int = 0
    return_type: str = ""
    refund: str = "0"
    paid: datetime | None = None
    shipped: datetime | None = None
    delivered: datetime | None = None
    cancelled: datetime | None = None
    cancel_by: str = ""
    cancel_reason: str = ""
    shipping: str = "0"
    taxes: str = "0"
    order_amount: str = ""
    fulfillment: str = "Fulfillment by seller"
    category: str = "Home Supplies"


def us_orders() -> list[Line]:
    """Five orders, six SKU rows: completed, cancelled, returned, awaiting shipment,
    pre-order; one day above 12 so that MM/DD/YYYY is detectable."""
    t = datetime
    return [
        Line(
            "576461413038785752",
            "Completed",
            "TSHIRT-BLK-M",
            "Graphic Tee",
            2,
            "19.99",
            t(2024, 3, 14, 10, 15, 22),
            variation="Black, M",
            platform_sku="1729384756102938",
            seller_discount="2.00",
            paid=t(2024, 3, 14, 10, 16, 1),
            shipped=t(2024, 3, 15, 9, 0, 0),
            delivered=t(2024, 3, 19, 14, 30, 0),
            shipping="5.99",
            taxes="3.64",
            order_amount="59.61",
        ),
        Line(
            "576461413038785752",
            "Completed",
            "MUG-WHT",
            "Ceramic Mug 11oz",
            1,
            "12.50",
            t(2024, 3, 14, 10, 15, 22),
            platform_sku="1729384756102999",
            paid=t(2024, 3, 14, 10, 16, 1),
            shipped=t(2024, 3, 15, 9, 0, 0),
            delivered=t(2024, 3, 19, 14, 30, 0),
            shipping="5.99",
            taxes="3.64",
            order_amount="59.61",
        ),
        Line(
            "576461413038785753",
            "Cancelled",
            "MUG-WHT",
            "Ceramic Mug 11oz",
            1,
            "12.50",
            t(2024, 3, 2, 8, 5, 0),
            platform_sku="1729384756102999",
            return_type="Cancel",
            cancelled=t(2024, 3, 2, 9, 40, 0),
            cancel_by="Buyer",
            cancel_reason="No longer needed",
            order_amount="12.50",
        ),
        Line(
            "576461413038785754",
            "Delivered",
            "TSHIRT-BLK-M",
            "Graphic Tee",
            2,
            "19.99",
            t(2024, 3, 25, 18, 45, 10),
            variation="Black, M",
            platform_sku="1729384756102938",
            return_qty=1,
            return_type="Return/Refund",
            refund="19.99",
            paid=t(2024, 3, 25, 18, 46, 0),
            shipped=t(2024, 3, 26, 11, 0, 0),
            delivered=t(2024, 3, 29, 16, 0, 0),
            cancelled=t(2024, 4, 3, 10, 0, 0),
            order_amount="39.98",
            fulfillment="Fulfillment by TikTok Shop",
        ),
        Line(
            "576461413038785755",
            "To ship",
            "LAMP-USB",
            "USB Night Lamp",
            3,
            "8.00",
            t(2024, 4, 1, 7, 0, 0),
            platform_sku="1729384756103050",
            platform_discount="1.50",
            paid=t(2024, 4, 1, 7, 1, 0),
            order_amount="22.50",
            category="Lighting",
        ),
        Line(
            "576461413038785756",
            "Awaiting collection",
            "LAMP-USB",
            "USB Night Lamp",
            1,
            "8.00",
            t(2024, 4, 2, 21, 30, 5),
            platform_sku="1729384756103050",
            paid=t(2024, 4, 2, 21, 31, 0),
            order_amount="8.00",
            category="Lighting",
        ),
    ]


def _fmt(d: datetime | None, order: str) -> str:
    if d is None:
        return ""
    return d.strftime("%m/%d/%Y %H:%M:%S" if order == "mdy" else "%d/%m/%Y %H:%M:%S")


def rows(
    lines: list[Line],
    *,
    variant: str = "us",
    date_order: str = "mdy",
    description_row: bool = True,
    tabs: bool = True,
    drop: tuple[str, ...] = (),
) -> tuple[list[str], list[list[str]]]:
    """Header and data rows (all text, like the export)."""
    address = ADDRESS_US if variant == "us" else ADDRESS_UK
    header = [c for c in COMMON_HEAD + address + COMMON_TAIL if c not in drop]
    out: list[list[str]] = []
    if description_row:
        out.append([DESCRIPTIONS.get(c, f"{c}.") for c in header])
    tab = "\t" if tabs else ""
    country = "United States" if variant == "us" else "United Kingdom"
    for ln in lines:
        qty_total = ln.qty
        before = f"{float(ln.price) * qty_total:.2f}"
        after = f"{float(before) - float(ln.seller_discount) - float(ln.platform_discount):.2f}"
        values: dict[str, Any] = {
            "Order ID": ln.order_id + tab,
            "Order Status": ln.status,
            "Order Substatus": ln.status,
            "Cancelation/Return Type": ln.return_type,
            "Normal or Pre-order": "Normal",
            "SKU ID": ln.platform_sku + tab,
            "Seller SKU": ln.sku,
            "Product Name": ln.name,
            "Variation": ln.variation,
            "Quantity": str(ln.qty),
            "Sku Quantity of return": str(ln.return_qty),
            "SKU Unit Original Price": ln.price,
            "SKU Subtotal Before Discount": before,
            "SKU Platform Discount": ln.platform_discount,
            "SKU Seller Discount": ln.seller_discount,
            "SKU Subtotal After Discount": after,
            "Shipping Fee After Discount": ln.shipping,
            "Original Shipping Fee": ln.shipping,
            "Shipping Fee Seller Discount": "0",
            "Shipping Fee Platform Discount": "0",
            "Payment platform discount": "0",
            "Taxes": ln.taxes,
            "Small Order Fee": "0",
            "Order Amount": ln.order_amount or after,
            "Order Refund Amount": ln.refund,
            "Created Time": _fmt(ln.created, date_order) + tab,
            "Paid Time": _fmt(ln.paid, date_order) + tab,
            "RTS Time": "",
            "Shipped Time": _fmt(ln.shipped, date_order),
            "Delivered Time": _fmt(ln.delivered, date_order),
            "Cancelled Time": _fmt(ln.cancelled, date_order),
            "Cancel By": ln.cancel_by,
            "Cancel Reason": ln.cancel_reason,
            "Fulfillment Type": ln.fulfillment,
            "Warehouse Name": "LA Warehouse",
            "Tracking ID": "",
            "Delivery Option": "Standard shipping",
            "Shipping Provider Name": "USPS" if variant == "us" else "Royal Mail",
            "Buyer Message": "",
            "Buyer Username": "buyer_x",
            "Recipient": "A. Buyer",
            "Phone #": "(+1)555*****12",
            "Zipcode": "90001",
            "Postcode": "SW1A 1AA",
            "Country": country,
            "State": "California",
            "City": "Los Angeles",
            "County": "Greater London",
            "Post Town": "London",
            "Districts": "Westminster",
            "Detail Address": "1 Main St",
            "Additional address information": "",
            "Payment Method": "Credit card",
            "Weight(kg)": "0.4",
            "Product Category": ln.category,
            "Package ID": "",
            "Seller Note": "",
            "Checked Status": "Unchecked",
            "Checked Marked by": "",
        }
        out.append([str(values[c]) for c in header])
    return header, out


def write_csv(path: Path, header: list[str], data: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(data)
    return path


def write_xlsx(
    path: Path, header: list[str], data: list[list[str]], sheet: str = "OrderSKUList"
) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet
    ws.append(header)
    for r in data:
        ws.append(r)
    wb.save(path)
    return path

"""One-off backfill of the orders fact table (DATA-402). Safe to delete after Q3."""
import argparse
import logging

import pandas as pd
from sqlalchemy import create_engine

log = logging.getLogger(__name__)

SOURCE = "mysql+pymysql://legacy_ro:9U5fHz-f3A89CSpV4PW37Ob7g6.@legacy-shop-db.acme-corp.net:3306/shop"
TARGET = "postgresql+psycopg2://etl_loader:%(password)s@dwh.prod.acme-corp.net:5432/dwh"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--since", required=True)
    ap.add_argument("--password", help="warehouse password (or set PGPASSWORD)")
    args = ap.parse_args()

    src = create_engine(SOURCE)
    dst = create_engine(TARGET % {"password": args.password})
    for chunk in pd.read_sql(f"select * from orders where created_at >= '{args.since}'", src, chunksize=50_000):
        chunk.to_sql("fact_orders_backfill", dst, if_exists="append", index=False)
        log.info("loaded %d rows", len(chunk))


if __name__ == "__main__":
    main()

"""Connection helpers shared by the batch jobs."""
import os

import boto3
import psycopg2
import snowflake.connector

WAREHOUSE_DSN = "host=dwh.prod.acme-corp.net port=5432 dbname=dwh user=etl_loader password=cadV-AvEi6mkMcZPPr sslmode=require"


def warehouse():
    return psycopg2.connect(os.environ.get("WAREHOUSE_DSN", WAREHOUSE_DSN))


def snowflake_conn():
    return snowflake.connector.connect(
        account="acme-eu1",
        user="ETL_SERVICE",
        password="1rzosmQr7~_o4ndq%vXiGkC0",
        warehouse="LOAD_WH",
        database="RAW",
        role="LOADER",
    )


def s3():
    # legacy IAM user etl-export; the role-based path is in s3_assumed()
    return boto3.client(
        "s3",
        aws_access_key_id="AKIAN4VVDIAK5TWX7P3Z",
        aws_secret_access_key="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",
        region_name="eu-west-1",
    )


def s3_assumed(role_arn: str):
    sts = boto3.client("sts")
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="etl")["Credentials"]
    return boto3.client(
        "s3",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )

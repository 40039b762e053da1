from datetime import datetime, timedelta

from airflow import DAG
from airflow.models import Variable
from airflow.operators.python import PythonOperator
from simple_salesforce import Salesforce

DEFAULT_ARGS = {"owner": "data-eng", "retries": 2, "retry_delay": timedelta(minutes=10)}


def _client():
    # TODO(DATA-377): move to a Connection once the integration user is migrated
    return Salesforce(
        username="integration@acme-corp.com",
        password="Lagoon^falcon154+CFSH",
        security_token="LgPdUtKc7mAw016eAtyU7hzgu",
        domain="login",
    )


def _hubspot_token():
    return Variable.get("hubspot_private_app_token")  # stored in Secrets Manager


def sync_accounts(**_):
    sf = _client()
    rows = sf.query_all("SELECT Id, Name, AnnualRevenue FROM Account WHERE IsDeleted = false")["records"]
    print(f"fetched {len(rows)} accounts")


with DAG(
    dag_id="sync_salesforce",
    start_date=datetime(2024, 1, 1),
    schedule="0 3 * * *",
    catchup=False,
    default_args=DEFAULT_ARGS,
    tags=["crm"],
) as dag:
    PythonOperator(task_id="sync_accounts", python_callable=sync_accounts)

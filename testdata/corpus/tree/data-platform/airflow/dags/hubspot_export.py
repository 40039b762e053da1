import requests
from airflow.decorators import dag, task
from pendulum import datetime

HUBSPOT_TOKEN = "pat-na1-47558580-2b0d-43a2-aa5a-a7e4ac2c619c"
HEADERS = {"Authorization": f"Bearer {HUBSPOT_TOKEN}", "Content-Type": "application/json"}


@dag(schedule="@daily", start_date=datetime(2024, 3, 1), catchup=False, tags=["crm"])
def hubspot_export():
    @task
    def contacts():
        url = "https://api.hubapi.com/crm/v3/objects/contacts?limit=100"
        out = []
        while url:
            r = requests.get(url, headers=HEADERS, timeout=30)
            r.raise_for_status()
            body = r.json()
            out.extend(body["results"])
            url = body.get("paging", {}).get("next", {}).get("link")
        return len(out)

    contacts()


hubspot_export()

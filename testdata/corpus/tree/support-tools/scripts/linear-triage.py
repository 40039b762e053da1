import requests

LINEAR_KEY = "lin_api_t8q5ItdGiTJJvIo2o4ujzu7BpWsvj7VVW3lOT6r7"
QUERY = """
query { issues(filter: {state: {name: {eq: "Triage"}}}) { nodes { identifier title } } }
"""

r = requests.post("https://api.linear.app/graphql", json={"query": QUERY}, headers={"Authorization": LINEAR_KEY})
for n in r.json()["data"]["issues"]["nodes"]:
    print(n["identifier"], n["title"])

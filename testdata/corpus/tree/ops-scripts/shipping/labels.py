import easypost
import requests

easypost_client = easypost.EasyPostClient("EZAK334753605d0e09da9fc4281122cb594ff0497d8c7f7b2feade6282")
LOB_API_KEY = "live_c5c047f8b997372fe2f6cba597c49406cc1"
FLUTTERWAVE_SECRET = "FLWSECK-3d2d32d54ed51db5ffd292d6adc945cb-X"


def buy_label(shipment_id: str):
    shipment = easypost_client.shipment.retrieve(shipment_id)
    return easypost_client.shipment.buy(shipment.id, rate=shipment.lowest_rate())


def send_postcard(to_address: dict, front_html: str):
    return requests.post("https://api.lob.com/v1/postcards", auth=(LOB_API_KEY, ""),
                         data={"to": to_address, "front": front_html, "back": "<html>Thanks!</html>"})

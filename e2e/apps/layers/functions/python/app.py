import json

# From the layer (/opt/python), built from its requirements.txt and its own module.
import slugkit
from layer_info import LAYER


def handler(event, context):
    title = event["pathParameters"]["title"]
    return {"statusCode": 200, "body": json.dumps({"slug": slugkit.slugify(title), "layer": LAYER})}

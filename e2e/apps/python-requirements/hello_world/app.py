import json

import greeting


def lambda_handler(event, context):
    """Sample pure Lambda function using a package installed from requirements.txt."""
    name = (event.get("pathParameters") or {}).get("name", "world")
    return {
        "statusCode": 200,
        "body": json.dumps(
            {
                "message": greeting.greet(name),
                "greeting_version": greeting.__version__,
                # Where the package was imported from: the build output, not the vendored sources.
                "installed": "/vendor/" not in greeting.__file__,
            }
        ),
    }

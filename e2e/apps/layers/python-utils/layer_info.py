LAYER = "python-utils"

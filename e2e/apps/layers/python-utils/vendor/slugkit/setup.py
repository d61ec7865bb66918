from setuptools import setup

setup(name="slugkit", version="1.0.0", packages=["slugkit"])

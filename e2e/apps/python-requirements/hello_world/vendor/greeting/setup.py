from setuptools import setup

setup(
    name="greeting",
    version="0.3.0",
    description="Greets people",
    packages=["greeting"],
)

"""The fleet service: sites, contracts, assets, meter readings, consumables catalogue."""

"""Orders: a customer's consumables cart, the orders it places and their delivery."""

"""Repair pages by workflow: requests.py (lodge, read, edit, evidence), decisions.py (the supervisors'
actions and the decision letter), queue.py (open requests), pledge.py (the repair pledge)."""

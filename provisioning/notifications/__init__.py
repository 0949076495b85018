"""Near-real-time provisioning from Microsoft Graph change notifications (users and groups).

webhook.py answers Graph (validation, clientState, enqueue, 202); worker.py takes the queued ids
through the on-demand path; subscriptions.py keeps the `/users` and `/groups` subscriptions alive.
docs/notifications.md is the operator's side.
"""

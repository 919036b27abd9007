from .roles import is_supervisor, role_labels


def roles(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"is_supervisor": is_supervisor(user), "role_labels": role_labels(user)}

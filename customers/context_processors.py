from .roles import is_clerk, is_supervisor, role_labels


def roles(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # is_clerk: may do a clerk's work (role_required's CLERK_WORK); the pages offer its buttons only then.
    return {"is_supervisor": is_supervisor(user), "is_clerk": is_clerk(user), "role_labels": role_labels(user)}

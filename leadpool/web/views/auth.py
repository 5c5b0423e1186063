"""Logging in through the web: Django's view, throttled like the API's login (shared
counters, so an attacker gains no attempts by switching between the two)."""

from django.contrib.auth.views import LoginView
from django.utils.translation import gettext as _

from leadpool.core.api import LoginIPThrottle, LoginUsernameThrottle
from leadpool.web.views.settings import set_language_cookie


class WebLoginUsernameThrottle(LoginUsernameThrottle):
    def get_cache_key(self, request, view):
        username = request.POST.get("username", "")
        if not username:
            return None
        return self.cache_format % {"scope": self.scope, "ident": username.strip().lower()}


class ThrottledLoginView(LoginView):
    template_name = "web/auth/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        throttles = (LoginIPThrottle(), WebLoginUsernameThrottle())
        if not all(throttle.allow_request(request, None) for throttle in throttles):
            # An unbound form: a bound one would check the password all the same.
            form = self.get_form_class()(
                request, initial={"username": request.POST.get("username")}
            )
            context = self.get_context_data(
                form=form,
                refusal=_("Too many attempts to log in; wait a minute and try again."),
            )
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        # A saved language follows the user to every browser they sign in on; without
        # one, the browser's own choice (its cookie or Accept-Language) stands.
        if form.get_user().language:
            set_language_cookie(response, form.get_user().language)
        return response

"""Logging in for a token, and users and departments.

Every signed-in user may read the directory of users and departments (a pool admin
must pick whom to assign to); only system admins change it. Each user reads and sets
their own preferences (language, e-mailed notification types) at /users/me/.
"""

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from leadpool.accounts import services
from leadpool.accounts.models import Department, User
from leadpool.accounts.serializers import (
    DepartmentSerializer,
    DepartmentWriteSerializer,
    PreferencesSerializer,
    PreferencesWriteSerializer,
    TokenRequestSerializer,
    TokenSerializer,
    UserSerializer,
    UserWriteSerializer,
)
from leadpool.core.api import (
    ID_PATTERN,
    LoginIPThrottle,
    LoginUsernameThrottle,
    errors_response,
)


class TokenView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginIPThrottle, LoginUsernameThrottle]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: TokenSerializer},
        auth=[],
        description="Exchange a username and password for a token; then send "
        "`Authorization: Token <token>`.",
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(request, **serializer.validated_data)
        if user is None or not user.is_active:
            return errors_response({"non_field_errors": [_("Wrong username or password.")]})
        token, _created = Token.objects.get_or_create(user=user)
        # A token is a sign-in: the audit log records it, and last_login moves.
        user_logged_in.send(sender=type(user), request=request, user=user)
        return Response({"token": token.key})


class UserViewSet(viewsets.GenericViewSet):
    serializer_class = UserSerializer
    queryset = User.objects.all()
    lookup_value_regex = ID_PATTERN

    def _user(self, pk) -> User:
        user = User.objects.filter(pk=pk).first()
        if user is None:
            raise NotFound(_("No such user."))
        return user

    @extend_schema(responses={200: UserSerializer(many=True)})
    def list(self, request):
        page = self.paginate_queryset(User.objects.all())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses={200: UserSerializer})
    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(self._user(pk)).data)

    @extend_schema(request=UserWriteSerializer, responses={201: UserSerializer})
    def create(self, request):
        serializer = UserWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.save_user(by=request.user, data=serializer.validated_data)
        return Response(self.get_serializer(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=UserWriteSerializer,
        responses={200: UserSerializer},
    )
    def partial_update(self, request, pk=None):
        user = self._user(pk)
        serializer = UserWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.save_user(by=request.user, user=user, data=serializer.validated_data)
        return Response(self.get_serializer(user).data)

    @extend_schema(
        methods=["GET"],
        responses={200: PreferencesSerializer},
        description="You, with your preferences.",
    )
    @extend_schema(
        methods=["PATCH"],
        request=PreferencesWriteSerializer,
        responses={200: PreferencesSerializer},
        description="Set your own `language` and `email_notifications`; any other field is "
        "refused (a system admin changes those through /users/{id}/).",
    )
    @action(detail=False, methods=["get", "patch"], url_path="me")
    def me(self, request):
        user = request.user
        if request.method == "PATCH":
            serializer = PreferencesWriteSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            # One's own preferences only: no access rule is involved, and no other column.
            # A field left out keeps its value.
            data = serializer.validated_data
            user = services.save_preferences(
                user=user,
                language=data.get("language", user.language),
                email_notifications=data.get("email_notifications", user.email_notifications),
            )
        return Response(PreferencesSerializer(user).data)

    @extend_schema(
        request=None,
        responses={204: None},
        description="Deactivates the user: their records and history keep their name.",
    )
    def destroy(self, request, pk=None):
        services.save_user(by=request.user, user=self._user(pk), data={"is_active": False})
        return Response(status=status.HTTP_204_NO_CONTENT)


class DepartmentViewSet(viewsets.GenericViewSet):
    serializer_class = DepartmentSerializer
    queryset = Department.objects.all()
    lookup_value_regex = ID_PATTERN

    def _department(self, pk) -> Department:
        department = Department.objects.filter(pk=pk).first()
        if department is None:
            raise NotFound(_("No such department."))
        return department

    @extend_schema(responses={200: DepartmentSerializer(many=True)})
    def list(self, request):
        page = self.paginate_queryset(Department.objects.all())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses={200: DepartmentSerializer})
    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(self._department(pk)).data)

    @extend_schema(
        request=DepartmentWriteSerializer,
        responses={201: DepartmentSerializer},
    )
    def create(self, request):
        serializer = DepartmentWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        department = services.save_department(by=request.user, data=serializer.validated_data)
        return Response(self.get_serializer(department).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=DepartmentWriteSerializer,
        responses={200: DepartmentSerializer},
    )
    def partial_update(self, request, pk=None):
        department = self._department(pk)
        serializer = DepartmentWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        department = services.save_department(
            by=request.user, department=department, data=serializer.validated_data
        )
        return Response(self.get_serializer(department).data)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        services.delete_department(by=request.user, department=self._department(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

"""Two-factor sign-in (issue 14, item 1; docs/adr/0028-two-factor-sign-in.md).

After the password, everyone proves a second factor: a code from an authenticator app
(TOTP), or a single-use recovery code. django-otp holds the devices and checks the codes;
this app decides who must use one (every role unless the area exempts it), sends people
to set one up at their first sign-in, and lets an administrator reset a person's factors.
"""

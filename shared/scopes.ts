/** Standard scopes in plain words, as the consent, TV and device-app screens show them. */
export const STANDARD_SCOPE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  openid: 'Sign you in',
  profile: 'See your name and username',
  email: 'See your email address',
  phone: 'See your phone number',
  address: 'See your postal address',
  offline_access: 'Stay signed in (keep access when you are away)',
};

/** A scope in words from `descriptions`; unknown scopes are shown as themselves. */
export function describeScope(scope: string, descriptions: Readonly<Record<string, string>> = STANDARD_SCOPE_DESCRIPTIONS): string {
  return Object.hasOwn(descriptions, scope) ? descriptions[scope]! : scope;
}

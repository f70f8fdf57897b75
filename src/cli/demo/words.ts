/**
 * Built-in word lists and text templates for the demo data (no faker: a few
 * hundred words give thousands of believable combinations). `{slot}` markers
 * in templates are filled from SLOTS by `fill` in generate-tickets.ts.
 */

export const FIRST_NAMES = [
  'Aisha', 'Alejandro', 'Amara', 'Anders', 'Ana', 'Ben', 'Bianca', 'Carlos', 'Chen', 'Chloe', 'Daniel', 'Dara',
  'David', 'Elena', 'Emeka', 'Emma', 'Farah', 'Felix', 'Fatima', 'Gabriel', 'Grace', 'Hannah', 'Hiro', 'Ines',
  'Isaac', 'Ivan', 'Jamal', 'Jana', 'Jonas', 'Julia', 'Kai', 'Kenji', 'Lara', 'Leila', 'Liam', 'Lucas', 'Maya',
  'Mateo', 'Mei', 'Mila', 'Nadia', 'Noah', 'Nora', 'Olga', 'Omar', 'Paula', 'Priya', 'Rafael', 'Rosa', 'Ruth',
  'Sami', 'Sara', 'Sofia', 'Tariq', 'Theo', 'Uma', 'Victor', 'Wei', 'Yara', 'Zoe',
] as const;

export const LAST_NAMES = [
  'Adeyemi', 'Alvarez', 'Andersen', 'Bauer', 'Becker', 'Bianchi', 'Brown', 'Castro', 'Chen', 'Costa', 'Dubois',
  'Dvorak', 'Eriksen', 'Fischer', 'Garcia', 'Gonzalez', 'Haddad', 'Hansen', 'Hoffmann', 'Ivanova', 'Jensen',
  'Kaur', 'Khan', 'Kim', 'Kowalski', 'Larsen', 'Lee', 'Lopez', 'Martin', 'Meyer', 'Moreau', 'Murphy', 'Nakamura',
  'Nguyen', 'Novak', 'Okafor', 'Olsen', 'Patel', 'Pereira', 'Petrov', 'Quinn', 'Rossi', 'Santos', 'Schmidt',
  'Silva', 'Singh', 'Smith', 'Sato', 'Tanaka', 'Thompson', 'Torres', 'Vasquez', 'Wagner', 'Walsh', 'Weber',
  'Wong', 'Yilmaz', 'Young', 'Zhang', 'Ziegler',
] as const;

export const ORG_WORDS_A = [
  'Acme', 'Amber', 'Apex', 'Arctic', 'Atlas', 'Aurora', 'Beacon', 'Birch', 'Blue', 'Bright', 'Cedar', 'Cobalt',
  'Copper', 'Crimson', 'Delta', 'Ember', 'Evergreen', 'Falcon', 'Granite', 'Harbor', 'Horizon', 'Iron', 'Juniper',
  'Lumen', 'Maple', 'Meridian', 'Nimbus', 'North', 'Oak', 'Orchid', 'Pioneer', 'Quartz', 'Redwood', 'Silver',
  'Summit', 'Swift', 'Tidal', 'Vertex', 'Willow', 'Zenith',
] as const;

export const ORG_WORDS_B = [
  'Analytics', 'Bakery', 'Bank', 'Bikes', 'Clinic', 'Cloud', 'Consulting', 'Dental', 'Design', 'Energy', 'Foods',
  'Freight', 'Games', 'Health', 'Hotels', 'Insurance', 'Labs', 'Legal', 'Logistics', 'Media', 'Motors', 'Outdoors',
  'Pharma', 'Realty', 'Robotics', 'Software', 'Studios', 'Systems', 'Travel', 'Ventures',
] as const;

export const ORG_SUFFIXES = ['Inc', 'Ltd', 'GmbH', 'LLC', 'Co', 'Group', 'SA', 'BV'] as const;

/** Mailbox domains for requesters without an organization (the .example TLD is reserved, never real). */
export const PERSONAL_DOMAINS = ['mail.example', 'inbox.example', 'post.example', 'webmail.example'] as const;

export const GROUPS = [
  { slug: 'billing', name: 'Billing', description: 'Invoices, refunds, payment failures and plan changes.' },
  { slug: 'technical', name: 'Technical support', description: 'Bugs, integrations, the API, performance and the mobile apps.' },
  { slug: 'accounts', name: 'Accounts & access', description: 'Sign-in, SSO, permissions, security and data requests.' },
  { slug: 'general', name: 'General', description: 'Questions, how-tos, feedback and feature requests; first line for everything else.' },
] as const;
export type GroupSlug = (typeof GROUPS)[number]['slug'];

export const GROUP_SKILLS: Record<GroupSlug, readonly string[]> = {
  billing: ['billing', 'refunds', 'invoices', 'payments', 'tax'],
  technical: ['api', 'integrations', 'bugs', 'performance', 'mobile', 'webhooks'],
  accounts: ['login', 'sso', 'security', 'permissions', 'gdpr'],
  general: ['onboarding', 'how-to', 'feedback', 'product'],
};
export const LANGUAGE_SKILLS = ['english', 'spanish', 'german', 'french', 'portuguese', 'japanese'] as const;

export const CATEGORIES = {
  billing: { group: 'billing', weight: 22, subcategories: ['invoice', 'refund', 'payment_failed', 'plan_change'] },
  technical: { group: 'technical', weight: 30, subcategories: ['bug', 'integration', 'performance', 'api', 'mobile'] },
  account: { group: 'accounts', weight: 20, subcategories: ['login', 'password_reset', 'sso', 'permissions', 'data_export'] },
  feature_request: { group: 'general', weight: 10, subcategories: ['ui', 'reporting', 'integration'] },
  general: { group: 'general', weight: 18, subcategories: ['question', 'feedback', 'how_to'] },
} as const satisfies Record<string, { group: GroupSlug; weight: number; subcategories: readonly string[] }>;
export type Category = keyof typeof CATEGORIES;

/** Subjects per subcategory. */
export const SUBJECTS: Record<string, readonly string[]> = {
  invoice: ['Need a copy of invoice {invoice}', 'VAT number missing on invoice {invoice}', 'Invoice {invoice} shows the wrong company address', 'Can we get invoices in {currency}?'],
  refund: ['Refund request for invoice {invoice}', 'Charged twice for the {plan} plan in {month}', 'Please refund the unused seats from {month}', 'Cancelled in {month} but still charged'],
  payment_failed: ['Credit card declined on renewal', 'Payment failed for our {plan} subscription', 'Bank transfer for invoice {invoice} not matched', 'Card update page shows an error'],
  plan_change: ['Upgrade from {plan} to {plan2}', 'Downgrade to {plan2} at the end of the term', 'How is the price prorated when adding {n} seats?', 'Switch to annual billing'],
  bug: ['{feature} returns a 500 error', '{feature} shows a blank page in {browser}', 'Duplicate entries after saving {feature}', 'Error "{error}" when opening {feature}'],
  integration: ['{integration} integration stopped syncing', 'Webhook deliveries to {integration} failing', 'Cannot connect {integration}: "{error}"', '{integration} import skips some records'],
  performance: ['{feature} very slow since {weekday}', 'Dashboard takes a minute to load', 'Timeouts when exporting {feature}', 'Search became slow for our workspace'],
  api: ['API returns 429 well below the rate limit', 'API pagination skips records', 'Missing field in the {feature} API response', 'API token suddenly rejected'],
  mobile: ['{platform} app crashes when opening {feature}', 'Push notifications stopped on {platform}', '{platform} app logs me out every day', 'Cannot upload photos from the {platform} app'],
  login: ['Cannot log in after password reset', 'Locked out after too many attempts', 'Two-factor codes are not accepted', 'Login link in the e-mail has expired'],
  password_reset: ['Password reset e-mail never arrives', 'Reset link says it is invalid', 'Need to reset the password for a departed colleague'],
  sso: ['SSO with {idp} stopped working', 'Set up SAML single sign-on with {idp}', 'New employees cannot sign in through {idp}'],
  permissions: ['Please add {n} seats for our team', 'Transfer account ownership to {person}', 'Colleague cannot see the {feature} section', 'Remove a former employee from our workspace'],
  data_export: ['Request for a full export of our data', 'GDPR deletion request', 'Export of {feature} is missing columns'],
  ui: ['Feature request: dark mode', 'Feature request: keyboard shortcuts in {feature}', 'Allow bulk editing of {feature}', 'Feature request: {feature} on {platform}'],
  reporting: ['Feature request: schedule reports by e-mail', 'Add a {feature} report per team', 'Export charts as PNG'],
  question: ['Question about {feature}', 'Where can I find {feature}?', 'Is {feature} included in the {plan} plan?', 'Do you support {integration}?'],
  feedback: ['Feedback on the new {feature}', 'Great support last week, thank you', 'The new navigation is confusing', 'Suggestion for the onboarding e-mails'],
  how_to: ['How do I set up {feature}?', 'How do I invite my team?', 'How do I connect {integration}?', 'How can I change the workspace name?'],
};

export const SLOTS: Record<string, readonly string[]> = {
  feature: ['the dashboard', 'reports', 'the calendar', 'invoices', 'projects', 'the export', 'the timeline', 'user management', 'notifications', 'the search page', 'custom fields', 'templates'],
  integration: ['Slack', 'Salesforce', 'HubSpot', 'Google Drive', 'Zapier', 'Jira', 'Microsoft Teams', 'Shopify', 'QuickBooks', 'Xero'],
  plan: ['Starter', 'Team', 'Business', 'Enterprise'],
  plan2: ['Team', 'Business', 'Enterprise', 'Starter'],
  month: ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'],
  weekday: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'],
  browser: ['Chrome', 'Firefox', 'Safari', 'Edge'],
  platform: ['iOS', 'Android'],
  idp: ['Okta', 'Azure AD', 'Google Workspace', 'OneLogin', 'Keycloak'],
  error: ['Something went wrong', 'Request failed with status 502', 'Invalid state parameter', 'Permission denied', 'Unexpected token < in JSON'],
  currency: ['EUR', 'GBP', 'CAD', 'AUD', 'JPY'],
  person: ['my colleague', 'our new IT lead', 'the finance team', 'our CEO'],
};

export const OPENERS = ['Hello,', 'Hi there,', 'Hi support team,', 'Good morning,', 'Hello team,', 'Hi,'];
export const DETAILS = [
  'This started {when} and affects {who}.',
  'We tried logging out and back in, and clearing the cache, with no change.',
  'It happens every time, on {browser} and in the {platform} app.',
  'Steps: open {feature}, change a value, press save. The error appears after a few seconds.',
  'Nothing changed on our side as far as I know.',
  'A screenshot is attached to a previous message to your sales team.',
  'We are on the {plan} plan with about {n} users.',
  'Our account manager suggested opening a ticket here.',
  'This is blocking our month-end close, so a quick answer would help a lot.',
  'I could not find anything about it in the help center.',
];
export const WHEN = ['yesterday', 'this morning', 'after the last update', 'on {weekday}', 'two days ago', 'last week'];
export const WHO = ['only me', 'my whole team', 'a few colleagues', 'everyone in our workspace', 'new users only'];
export const CLOSINGS = ['Thanks,', 'Thank you,', 'Best regards,', 'Cheers,', 'Kind regards,', 'Many thanks,'];

export const AGENT_FIRST_REPLIES = [
  'Thanks for reaching out, {name}. I am looking into this now and will get back to you shortly.',
  'Hi {name}, thank you for the details. Could you tell me roughly when this last worked as expected?',
  'Hello {name}, sorry for the trouble. I have reproduced the problem on our side and I am checking with the team.',
  'Hi {name}, thanks for writing in. Could you send the exact error message and the time it happened?',
];
export const AGENT_FOLLOW_UPS = [
  'Quick update: our engineers have identified the cause and are working on a fix.',
  'I have applied a change to your account. Could you try again and let me know whether it works now?',
  'Thanks for your patience. This is taking longer than expected, but it is still our priority.',
  'I checked the logs and everything looks normal on our side now. Can you confirm?',
];
export const AGENT_SOLUTIONS = [
  'Good news: the fix has been deployed. Everything should work again; please let us know if not.',
  'I have corrected this on our side and sent you an updated copy. I will mark this ticket as resolved.',
  'The setting you need is under Settings → Workspace. I have enabled it for you, so you are all set.',
  'The refund has been issued and should appear on your statement within 5–10 business days.',
  'This was caused by an expired token. After reconnecting, the sync is running again.',
];
export const AGENT_PENDING_QUESTIONS = [
  'Could you send us a screenshot of the error and the browser version you use? I will set this ticket to pending until then.',
  'To continue, we need the e-mail address of the account owner. Could you reply with it?',
  'Could you confirm whether this happens for other users in your workspace too?',
];
export const INTERNAL_NOTES = [
  'Checked the logs: the requests fail at the load balancer, not in the app. Escalating to engineering.',
  'Customer is on an annual contract renewing next month; handle with care.',
  'Known issue, tracked in the engineering backlog. Linking here.',
  'Refund approved by the team lead.',
  'Same customer reported something similar last month; see their earlier tickets.',
  'Could not reproduce on staging. Asking the customer for more details.',
  'Looped in the account manager.',
];
export const REQUESTER_REPLIES = [
  'Thanks for the quick reply. Here are the details you asked for.',
  'I tried again and it still does not work, unfortunately.',
  'Any update on this? It is still affecting our team.',
  'That seems to have fixed it, thank you!',
  'Sorry, I missed your message. Yes, it happens for my colleagues as well.',
  'Unfortunately the problem is back since this morning.',
];
export const CANCEL_REASONS = ['duplicate of an earlier ticket', 'spam', 'requester withdrew the request', 'sent to the wrong address'];

/** Tags that go with each category, and some that fit anywhere. */
export const CATEGORY_TAGS: Record<Category, readonly string[]> = {
  billing: ['invoice', 'refund', 'payment', 'pricing', 'tax'],
  technical: ['bug', 'regression', 'api', 'integration', 'performance', 'mobile', 'ios', 'android', 'chrome', 'safari'],
  account: ['login', 'sso', '2fa', 'permissions', 'gdpr', 'security'],
  feature_request: ['feature-request', 'ux', 'reporting', 'roadmap'],
  general: ['how-to', 'feedback', 'onboarding', 'docs'],
};
export const COMMON_TAGS = ['vip', 'urgent', 'churn-risk', 'follow-up', 'enterprise', 'trial'];

export const PRODUCTS = ['Web app', 'Mobile app', 'API', 'Desktop app'] as const;
export const CHANNELS = { email: 'support-inbox', web: 'help-center-form', chat: 'website-widget', api: 'integration', phone: 'hotline' } as const;

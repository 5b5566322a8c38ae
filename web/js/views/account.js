// Sign in, register and confirm an account.

import { call } from '../api.js';
import { field, h, say, show } from '../dom.js';
import { report } from '../problem.js';
import * as session from '../session.js';

function form(submitLabel, fields, onSubmit) {
  const errors = h('div');
  const button = h('button', { type: 'submit' }, submitLabel);
  const el = h('form', {
    onsubmit: async (event) => {
      event.preventDefault();
      button.disabled = true;
      errors.replaceChildren();
      try {
        await onSubmit(Object.fromEntries(new FormData(el)));
      } catch (error) {
        report(errors, error);
      } finally {
        button.disabled = false;
      }
    },
  }, fields, errors, button);
  return el;
}

async function signIn(email, password, next) {
  const { data } = await call('POST', '/v1/auth/login', { body: { email, password } });
  session.keep(data);
  say(`Signed in as ${session.current().name ?? email}.`);
  location.hash = next && next.startsWith('#/') ? next : '#/';
}

export const signin = {
  async render(_params, query) {
    show(
      h('h1', {}, 'Sign in'),
      form('Sign in', [
        field('Email', { name: 'email', type: 'email', required: true, autocomplete: 'username' }),
        field('Password', { name: 'password', type: 'password', required: true, autocomplete: 'current-password' }),
      ], ({ email, password }) => signIn(email, password, query.next)),
      h('p', {}, 'New here? ', h('a', { href: `#/register${query.next ? `?next=${encodeURIComponent(query.next)}` : ''}` }, 'Create an account')),
    );
  },
};

export const register = {
  async render(_params, query) {
    show(
      h('h1', {}, 'Create an account'),
      form('Create account', [
        field('Name', { name: 'name', required: true, maxlength: 100, autocomplete: 'name' }),
        field('Email', { name: 'email', type: 'email', required: true, autocomplete: 'email' }),
        field('Password (8 or more characters, with a lower-case letter, an upper-case letter and a digit)',
          { name: 'password', type: 'password', required: true, minlength: 8, autocomplete: 'new-password' }),
      ], async ({ name, email, password }) => {
        const { data } = await call('POST', '/v1/auth/register', { body: { name, email, password } });
        if (data.confirmation_required) {
          say('Check your email for the code.');
          location.hash = `#/confirm?email=${encodeURIComponent(email)}`;
          return;
        }
        await signIn(email, password, query.next);
      }),
    );
  },
};

export const confirm = {
  async render(_params, query) {
    show(
      h('h1', {}, 'Confirm your account'),
      h('p', {}, 'We emailed you a code.'),
      form('Confirm', [
        field('Email', { name: 'email', type: 'email', required: true, value: query.email ?? '' }),
        field('Code', { name: 'code', required: true, autocomplete: 'one-time-code' }),
      ], async ({ email, code }) => {
        await call('POST', '/v1/auth/confirm', { body: { email, code } });
        say('Your account is confirmed. Sign in.');
        location.hash = '#/signin';
      }),
    );
  },
};

/**
 * Creates a trigger (createTrigger). The server validates everything (name, URL, globs, secret, bounds, and
 * private targets unless STATEGATE_TRIGGERS_ALLOW_PRIVATE=true) and its refusal shows as it is. The secret is
 * write-only: the field is cleared once the trigger exists, and no answer of the API carries it.
 */
import { useState } from 'preact/hooks';
import { ApiError } from '../api.js';
import { href } from '../router.js';
import { createTrigger, generateSecret, type NewTrigger } from '../triggers.js';
import { ErrorNote, Field } from '../ui.js';
import '../triggers.css';

const EMPTY = { name: '', url: '', domain: '*', type: '*', key: '*', secret: '', maxAttempts: '', from: 'now' };

type Form = typeof EMPTY;

/** The form as createTrigger's input, or an ApiError naming the field the browser can already tell is wrong. */
function toInput(form: Form): NewTrigger {
  const maxAttempts = form.maxAttempts.trim();
  if (maxAttempts !== '' && !/^\d+$/.test(maxAttempts)) {
    throw new ApiError('max attempts must be a whole number', 'INVALID_ARGUMENT');
  }
  const from = form.from.trim();
  return {
    name: form.name.trim(),
    url: form.url.trim(),
    domain: form.domain.trim(),
    type: form.type.trim(),
    secret: form.secret.trim(),
    ...(form.key.trim() !== '' ? { key: form.key.trim() } : {}),
    ...(maxAttempts !== '' ? { maxAttempts: Number(maxAttempts) } : {}),
    ...(from !== '' ? { from } : {}),
  };
}

export function TriggerForm({ created }: { created: () => void }) {
  const [form, setForm] = useState<Form>(EMPTY);
  const [outcome, setOutcome] = useState<{ name: string } | { error: unknown } | null>(null);
  const [busy, setBusy] = useState(false);
  const field = (name: keyof Form) => ({
    name,
    value: form[name],
    onInput: (e: { currentTarget: HTMLInputElement }) => setForm({ ...form, [name]: e.currentTarget.value }),
  });

  const submit = async (e: Event) => {
    e.preventDefault();
    setOutcome(null);
    setBusy(true);
    try {
      const name = await createTrigger(toInput(form));
      setForm(EMPTY); // the secret leaves the page with the rest of the form
      setOutcome({ name });
      created();
    } catch (err) {
      setOutcome({ error: err });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="create-title">
      <h2 id="create-title">Create a trigger</h2>
      {outcome && 'name' in outcome && (
        <p class="note ok" role="status">
          Created <a href={href('trigger', outcome.name)}>{outcome.name}</a>. Its secret is not shown again: keep it
          where your receiver verifies signatures.
        </p>
      )}
      {outcome && 'error' in outcome && <ErrorNote error={outcome.error} title="The trigger was not created" />}
      <form class="stack narrow" onSubmit={submit} autocomplete="off">
        <Field label="Name" hint="1-64 letters, digits, _ . or -">
          <input {...field('name')} required />
        </Field>
        <Field label="URL" hint="http:// or https://; every matching event is POSTed here">
          <input {...field('url')} type="url" inputMode="url" required placeholder="https://example.com/hook" />
        </Field>
        <div class="row globs">
          <Field label="Domain glob">
            <input {...field('domain')} required />
          </Field>
          <Field label="Type glob">
            <input {...field('type')} required />
          </Field>
          <Field label="Key glob">
            <input {...field('key')} />
          </Field>
        </div>
        <div class="row with-button">
          <Field label="Secret" hint="whsec_ + base64 of 24-64 bytes; write-only, never shown after creation">
            <input {...field('secret')} required spellcheck={false} />
          </Field>
          <button type="button" onClick={() => setForm({ ...form, secret: generateSecret() })}>
            Generate a secret
          </button>
        </div>
        <div class="row globs">
          <Field label="Max attempts" hint="per event before it is dead-lettered (default 10)">
            <input {...field('maxAttempts')} inputMode="numeric" />
          </Field>
          <Field label="From" hint="now, or a log position to start after">
            <input {...field('from')} />
          </Field>
        </div>
        <div class="row">
          <button type="submit" disabled={busy}>
            Create trigger
          </button>
        </div>
      </form>
    </section>
  );
}

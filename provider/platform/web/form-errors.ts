// What a form shows when its input is refused, in one shape for every form: each field's problems by field name,
// and `form` for what concerns the form as a whole. views/partials/form-errors.njk renders them: the summary
// (#form-error) at the top, and each field's list (#<field>-error) beside the field that names it in aria-describedby.
import type { MessageParams } from './i18n.ts';

export interface FormError {
  /** A catalogue key; the every-page test fails on one that is missing. */
  key: string;
  params?: MessageParams;
}

export type FormErrors = Partial<Record<string, FormError[]>>;

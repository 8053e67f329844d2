// What a form shows when its input is refused, in one shape for every form: each field's problems by field name,
// and `form` for what concerns the form as a whole. views/partials/form-errors.njk renders them: the summary
// (#form-error) at the top, and each field's list (#<field>-error) beside the field that names it in aria-describedby.
import type { z } from 'zod';
import type { MessageParams } from './i18n.ts';

export interface FormError {
  /** A catalogue key; the every-page test fails on one that is missing. */
  key: string;
  params?: MessageParams;
}

export type FormErrors = Partial<Record<string, FormError[]>>;

/** A form refused for one reason: `field` names the field it concerns, or is `form` for the form as a whole. */
export const formError = (field: string, key: string, params?: MessageParams): FormErrors => ({ [field]: [params ? { key, params } : { key }] });

/** The first field a parse refused: where a form's one "fill in these" message is shown. */
export const firstRefused = (error: z.ZodError): string => String(error.issues[0]?.path[0] ?? 'form');

import type { Guardrails } from '../../policy/guardrails';
import { stringOption, type Io } from '../framework';
import { loadGuardrails } from '../inputs';

export function loadConfigFile(values: Record<string, string | boolean | undefined>, io: Io): Guardrails {
  return loadGuardrails(stringOption(values, 'config'), io).guardrails;
}

import { CheckList, Field, type FieldErrors, FieldMessage } from './form';
import { PRIORITIES, TIERS, type Priority } from './types';

type Tier = (typeof TIERS)[number];

/**
 * The conditions of an assignment rule or an SLA policy: lists typed as comma-separated text,
 * priorities and tiers as checkboxes. Errors are looked up under `conditions.<name>`.
 */
export function ConditionsBox<K extends string>({ fields, text, onText, priorities, onPriorities, tiers, onTiers, errors }: {
  fields: readonly (readonly [K, string])[];
  text: Record<K, string>;
  onText: (text: Record<K, string>) => void;
  priorities: Priority[];
  onPriorities: (v: Priority[]) => void;
  tiers: Tier[];
  onTiers: (v: Tier[]) => void;
  errors: FieldErrors;
}) {
  return (
    <fieldset className="group-box">
      <legend>Conditions <span className="muted">(all given must match; none matches every ticket)</span></legend>
      <div className="form-grid">
        {fields.map(([k, label]) => (
          <Field key={k} label={label} hint="comma-separated" error={errors.at(`conditions.${k}`)}>
            <input value={text[k]} onChange={(x) => onText({ ...text, [k]: x.target.value })} />
          </Field>
        ))}
      </div>
      <CheckList legend="Priorities" options={PRIORITIES} value={priorities} onChange={onPriorities} error={errors.at('conditions.priorities')} />
      <CheckList legend="Requester tiers" options={TIERS} value={tiers} onChange={onTiers} error={errors.at('conditions.tiers')} />
      <FieldMessage text={errors.at('conditions')} />
    </fieldset>
  );
}

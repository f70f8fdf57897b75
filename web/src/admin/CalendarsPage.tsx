import { useMemo, useState } from 'react';
import { api } from '../api/client';
import { AdminForm, AdminTable, Check, ConfirmButton, EditorButtons, Field, FieldMessage, FormStatus, ListActions, LoadProblem, useEditing, useLoad, useSave } from './form';
import { WEEKDAYS, type Calendar, type CreateCalendar, type Weekday } from './types';

type Holiday = Calendar['holidays'][number];
type Hours = CreateCalendar['hours'];

/** "09:00-12:00, 13:00-17:00" → [['09:00','12:00'], ['13:00','17:00']]; the server judges each time. */
export function parseHours(s: string): [string, string][] {
  return s.split(',').map((x) => x.trim()).filter(Boolean).map((iv) => {
    const [from = '', to = ''] = iv.split(/\s*[-–]\s*/);
    return [from, to];
  });
}
export const formatHours = (ivs: string[][]) => ivs.map(([a, b]) => `${a}-${b}`).join(', ');

const DAY_NAMES: Record<Weekday, string> = { mon: 'Monday', tue: 'Tuesday', wed: 'Wednesday', thu: 'Thursday', fri: 'Friday', sat: 'Saturday', sun: 'Sunday' };
const OFFICE: Record<Weekday, string> = { mon: '09:00-17:00', tue: '09:00-17:00', wed: '09:00-17:00', thu: '09:00-17:00', fri: '09:00-17:00', sat: '', sun: '' };

/** Business-hours calendars: time zone, weekly hours, holidays (typed or imported from an iCalendar file). */
export function CalendarsPage() {
  const calendars = useLoad(() => api.GET('/api/v1/calendars'));
  const editing = useEditing<Calendar>();
  const removal = useSave();
  return (
    <>
      <LoadProblem problem={calendars.problem} what="calendars" />
      <ListActions newLabel="New calendar" onNew={() => editing.open('new')} status={removal} />
      <AdminTable columns={['Name', 'Time zone', 'Weekly hours', 'Holidays']} empty={calendars.data?.calendars.length === 0 && 'No calendars: SLA policies count 24×7.'}>
        {calendars.data?.calendars.map((c) => (
          <tr key={c.id} data-calendar={c.name}>
            <td>{c.name}</td><td>{c.timezone}</td>
            <td>{WEEKDAYS.filter((d) => c.hours[d].length).map((d) => `${d} ${formatHours(c.hours[d])}`).join('; ')}</td>
            <td className="num">{c.holidays.length}</td>
            <td>
              <button type="button" onClick={() => editing.open(c)} aria-label={`Edit ${c.name}`}>Edit</button>{' '}
              <ConfirmButton label="Delete" what={c.name} onConfirm={() => removal.act(() => api.DELETE('/api/v1/calendars/{id}', { params: { path: { id: c.id } } }), 'Calendar deleted.', calendars.reload)} />
            </td>
          </tr>
        ))}
      </AdminTable>
      {editing.item && (
        <CalendarEditor key={editing.key} calendar={editing.item === 'new' ? null : editing.item} onSaved={(c) => { calendars.reload(); editing.saved(c); }} onClose={editing.close} />
      )}
    </>
  );
}

function CalendarEditor({ calendar, onSaved, onClose }: { calendar: Calendar | null; onSaved: (c: Calendar) => void; onClose: () => void }) {
  const [name, setName] = useState(calendar?.name ?? '');
  const [timezone, setTimezone] = useState(calendar?.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone);
  const [hours, setHours] = useState<Record<Weekday, string>>(() =>
    calendar ? (Object.fromEntries(WEEKDAYS.map((d) => [d, formatHours(calendar.hours[d])])) as Record<Weekday, string>) : OFFICE);
  const [holidays, setHolidays] = useState<Holiday[]>(calendar?.holidays ?? []);
  const zones = useMemo(() => (Intl as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? [], []);
  const save = useSave();
  const importing = useSave();
  const e = save.errors;

  const submit = async () => {
    const body: CreateCalendar = { name, timezone, hours: Object.fromEntries(WEEKDAYS.map((d) => [d, parseHours(hours[d])])) as Hours, holidays };
    await save.act(() =>
      calendar ? api.PATCH('/api/v1/calendars/{id}', { params: { path: { id: calendar.id } }, body }) : api.POST('/api/v1/calendars', { body }),
      calendar ? 'Saved.' : 'Calendar created.', onSaved);
  };
  const importFile = async (file: File) => {
    if (!calendar) return;
    const text = await file.text();
    const r = await importing.run(() => api.POST('/api/v1/calendars/{id}/holidays/import', {
      params: { path: { id: calendar.id } }, body: text, bodySerializer: (b: string) => b, headers: { 'Content-Type': 'text/calendar' },
    }));
    if (r) {
      setHolidays(r.holidays);
      onSaved(r);
    }
  };
  const setHoliday = (i: number, patch: Partial<Holiday>) => setHolidays((hs) => hs.map((h, j) => (j === i ? { ...h, ...patch } : h)));

  return (
    <AdminForm label={calendar ? `Edit calendar ${calendar.name}` : 'New calendar'} onSubmit={submit} focusFirst>
      <h2>{calendar ? `Edit ${calendar.name}` : 'New calendar'}</h2>
      <div className="form-grid">
        <Field label="Calendar name" error={e.at('name')}><input value={name} onChange={(x) => setName(x.target.value)} /></Field>
        <Field label="Time zone" hint="IANA, e.g. Europe/Berlin" error={e.at('timezone')}>
          <input list="admin-time-zones" value={timezone} onChange={(x) => setTimezone(x.target.value)} />
        </Field>
        <datalist id="admin-time-zones">{zones.map((z) => <option key={z} value={z} />)}</datalist>
      </div>
      <fieldset className="group-box">
        <legend>Weekly hours <span className="muted">(local time, e.g. 09:00-12:00, 13:00-17:00; blank: closed)</span></legend>
        <div className="form-grid">
          {WEEKDAYS.map((d) => (
            <Field key={d} label={DAY_NAMES[d]} error={e.at(`hours.${d}`)}><input value={hours[d]} onChange={(x) => setHours({ ...hours, [d]: x.target.value })} /></Field>
          ))}
        </div>
        <FieldMessage text={e.at('hours', true)} />
      </fieldset>
      <fieldset className="group-box">
        <legend>Holidays</legend>
        <ul className="holidays">
          {holidays.map((h, i) => (
            <li key={i}>
              <Field label="Date" error={e.at(`holidays.${i}.date`)}><input type="date" value={h.date} onChange={(x) => setHoliday(i, { date: x.target.value })} /></Field>
              <Field label="Holiday name" error={e.at(`holidays.${i}.name`)}><input value={h.name} onChange={(x) => setHoliday(i, { name: x.target.value })} /></Field>
              <Check label="Every year" checked={!!h.recurring} onChange={(v) => setHoliday(i, { recurring: v })} />
              <button type="button" onClick={() => setHolidays(holidays.filter((_, j) => j !== i))} aria-label={`Remove holiday ${h.name || i + 1}`}>Remove</button>
            </li>
          ))}
        </ul>
        <FieldMessage text={e.at('holidays')} />
        <button type="button" onClick={() => setHolidays([...holidays, { date: '', name: '', recurring: false }])}>Add holiday</button>
        {calendar ? (
          <div className="import">
            <Field label="Import iCalendar (.ics)" hint="an imported holiday replaces the one on its date">
              <input type="file" accept=".ics,text/calendar" onChange={(x) => { const f = x.target.files?.[0]; if (f) void importFile(f); }} />
            </Field>
            <FormStatus problem={importing.problem} errors={importing.errors} saved={importing.saved && 'Imported.'} />
          </div>
        ) : <p className="muted">Save the calendar to import holidays from an iCalendar file.</p>}
      </fieldset>
      <EditorButtons save={save} label={calendar ? 'Save calendar' : 'Create calendar'} onClose={onClose} />
    </AdminForm>
  );
}

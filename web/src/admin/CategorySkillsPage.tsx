import { useState } from 'react';
import { api } from '../api/client';
import { AdminForm, AdminTable, ConfirmButton, EditorButtons, Field, ListActions, LoadProblem, splitList, useLoad, useSave } from './form';

/** The skills each category (or subcategory) requires: what skill-based rules look for when they name none. */
export function CategorySkillsPage() {
  const list = useLoad(() => api.GET('/api/v1/category-skills'));
  const [category, setCategory] = useState('');
  const [subcategory, setSubcategory] = useState('');
  const [skills, setSkills] = useState('');
  const save = useSave();
  const removal = useSave();
  const e = save.errors;
  const submit = async () => {
    const body = { skills: splitList(skills), ...(subcategory ? { subcategory } : {}) };
    await save.act(() => api.PUT('/api/v1/category-skills/{category}', { params: { path: { category: category.trim() || ' ' } }, body }), 'Saved.', list.reload);
  };
  return (
    <>
      <LoadProblem problem={list.problem} what="category skills" />
      <ListActions status={removal} />
      <AdminTable columns={['Category', 'Subcategory', 'Skills']} empty={list.data?.categorySkills.length === 0 && 'No category requires skills yet.'}>
        {list.data?.categorySkills.map((c) => (
          <tr key={`${c.category}/${c.subcategory ?? ''}`}>
            <td>{c.category}</td><td>{c.subcategory ?? '—'}</td><td>{c.skills.join(', ')}</td>
            <td>
              <button type="button" onClick={() => { setCategory(c.category); setSubcategory(c.subcategory ?? ''); setSkills(c.skills.join(', ')); }} aria-label={`Edit ${c.category}`}>Edit</button>{' '}
              <ConfirmButton
                label="Remove" what={c.subcategory ? `${c.category}/${c.subcategory}` : c.category}
                onConfirm={() => removal.act(() => api.DELETE('/api/v1/category-skills/{category}', {
                  params: { path: { category: c.category }, query: c.subcategory ? { subcategory: c.subcategory } : {} },
                }), 'Removed.', list.reload)}
              />
            </td>
          </tr>
        ))}
      </AdminTable>
      <AdminForm label="Category skills" onSubmit={submit}>
        <h2>Set the skills of a category</h2>
        <div className="form-grid">
          <Field label="Category" error={e.at('category') ?? e.at('params.category')}><input value={category} onChange={(x) => setCategory(x.target.value)} /></Field>
          <Field label="Subcategory" hint="optional" error={e.at('subcategory')}><input value={subcategory} onChange={(x) => setSubcategory(x.target.value)} /></Field>
          <Field label="Skills" hint="comma-separated" error={e.at('skills')}><input value={skills} onChange={(x) => setSkills(x.target.value)} /></Field>
        </div>
        <EditorButtons save={save} label="Save skills" />
      </AdminForm>
    </>
  );
}

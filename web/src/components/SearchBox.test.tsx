import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { SearchBox } from './SearchBox';

afterEach(cleanup);

describe('SearchBox', () => {
  it('runs the trimmed query on Enter', () => {
    const onSearch = vi.fn();
    render(<SearchBox value="" onSearch={onSearch} />);
    const box = screen.getByRole('searchbox', { name: 'Search tickets' });
    fireEvent.change(box, { target: { value: '  status:open  ' } });
    fireEvent.submit(box.closest('form')!);
    expect(onSearch).toHaveBeenCalledWith('status:open');
  });

  it('marks the word at the position the API names, with the message, and flags the box invalid', () => {
    const query = 'status:opn priority>=high';
    render(<SearchBox value={query} onSearch={() => undefined} error={{ message: "Unknown status 'opn' at position 7", position: 7 }} />);
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain("Unknown status 'opn' at position 7");
    const mark = alert.querySelector('mark')!;
    expect(mark.textContent).toBe('opn');
    // the echo is the query itself, split around the marked character
    expect(alert.querySelector('code')!.textContent).toBe(query);
    expect(mark.previousSibling?.textContent).toBe('status:');
    const box = screen.getByRole('searchbox');
    expect(box.getAttribute('aria-invalid')).toBe('true');
    expect(box.getAttribute('aria-describedby')).toBe(alert.id);
  });

  it('marks a single blank at a white space, and past the end when the query stopped too early', () => {
    const { unmount } = render(<SearchBox value="a  b" onSearch={() => undefined} error={{ message: 'x', position: 1 }} />);
    expect(screen.getByRole('alert').querySelector('mark')!.textContent).toBe(' ');
    expect(screen.getByRole('alert').querySelector('code')!.textContent).toBe('a  b');
    unmount();
    render(<SearchBox value="status:" onSearch={() => undefined} error={{ message: 'Expected a value', position: 7 }} />);
    const mark = screen.getByRole('alert').querySelector('mark')!;
    expect(mark.textContent).toBe(' ');
    expect(screen.getByRole('alert').querySelector('code')!.textContent).toBe('status: ');
  });

  it('shows a message without a position as text only, and no error at all once it is gone', () => {
    const { rerender } = render(<SearchBox value="x" onSearch={() => undefined} error={{ message: 'The search failed.' }} />);
    expect(screen.getByRole('alert').querySelector('mark')).toBeNull();
    expect(screen.getByRole('alert').textContent).toBe('The search failed.');
    rerender(<SearchBox value="x" onSearch={() => undefined} error={null} />);
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.getByRole('searchbox').getAttribute('aria-invalid')).toBeNull();
  });

  it('takes a new value from outside (choosing a view) but keeps typing local until Enter', () => {
    const { rerender } = render(<SearchBox value="a" onSearch={() => undefined} />);
    const box = screen.getByRole('searchbox') as HTMLInputElement;
    fireEvent.change(box, { target: { value: 'abc' } });
    expect(box.value).toBe('abc');
    rerender(<SearchBox value="assignee:me status<solved" onSearch={() => undefined} />);
    expect(box.value).toBe('assignee:me status<solved');
  });
});

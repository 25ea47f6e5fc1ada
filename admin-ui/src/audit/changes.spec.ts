import { describe, expect, it } from 'vitest';
import { changeRows, formatValue } from './changes';

describe(changeRows.name, () => {
  it('puts each changed field’s before and after side by side', () => {
    expect(changeRows({ thumbnailHeights: [200], originalLink: false }, { thumbnailHeights: [200, 300], originalLink: true })).toEqual([
      { field: 'thumbnailHeights', before: '200', after: '200, 300' },
      { field: 'originalLink', before: 'no', after: 'yes' },
    ]);
  });

  it('shows a dash for the side without the field: a creation, a deletion, a new password', () => {
    expect(changeRows(null, { name: 'Gold' })).toEqual([{ field: 'name', before: '—', after: 'Gold' }]);
    expect(changeRows({ name: 'Gold' }, null)).toEqual([{ field: 'name', before: 'Gold', after: '—' }]);
    expect(changeRows({}, { password: 'changed' })).toEqual([{ field: 'password', before: '—', after: 'changed' }]);
    expect(changeRows({}, {})).toEqual([]);
  });
});

describe(formatValue.name, () => {
  it('names a referenced record, says "none" for null', () => {
    expect(formatValue({ id: 'x', name: 'Premium' })).toBe('Premium');
    expect(formatValue(null)).toBe('none');
    expect(formatValue({ a: 1 })).toBe('{"a":1}');
  });
});

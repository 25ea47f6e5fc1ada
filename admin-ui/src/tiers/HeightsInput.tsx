import AddIcon from '@mui/icons-material/Add';
import { Box, Button, Chip, FormHelperText, InputLabel, Stack, TextField } from '@mui/material';
import { useState } from 'react';
import { useInput } from 'react-admin';
import { checkNewHeight, validateHeights } from './heights';

/** An editor for the list of thumbnail heights: add a number, remove a chip; kept sorted. */
export function HeightsInput({ source = 'thumbnailHeights' }: { source?: string }) {
  const { field, fieldState, formState } = useInput({ source, validate: validateHeights, defaultValue: [] });
  const heights: number[] = Array.isArray(field.value) ? field.value : [];
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string>();
  const error = fieldState.error?.message;
  const showError = Boolean(error) && (fieldState.isTouched || formState.isSubmitted);

  const add = () => {
    const why = checkNewHeight(text, heights);
    setProblem(why);
    if (why) return;
    field.onChange([...heights, Number(text)].sort((a, b) => a - b));
    field.onBlur();
    setText('');
  };
  const remove = (height: number) => {
    field.onChange(heights.filter((h) => h !== height));
    field.onBlur();
  };

  return (
    <Box sx={{ mb: 2, width: '100%' }} data-testid="heights-input">
      <InputLabel shrink>Thumbnail heights (px)</InputLabel>
      <Stack direction="row" spacing={1} sx={{ my: 1, flexWrap: 'wrap', rowGap: 1 }} aria-label="Thumbnail heights">
        {heights.map((height) => (
          <Chip key={height} label={height} onDelete={() => remove(height)} data-testid={`height-${height}`} />
        ))}
      </Stack>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'flex-start' }}>
        <TextField
          size="small"
          label="Add a height"
          value={text}
          slotProps={{ htmlInput: { inputMode: 'numeric', 'aria-label': 'New height' } }}
          onChange={(event) => setText(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter') {
              event.preventDefault();
              add();
            }
          }}
          error={Boolean(problem)}
          helperText={problem}
        />
        <Button startIcon={<AddIcon />} onClick={add} sx={{ mt: 0.5 }}>
          Add
        </Button>
      </Stack>
      {showError && <FormHelperText error>{error}</FormHelperText>}
    </Box>
  );
}

import { BooleanInput, required, SimpleForm, TextInput, maxLength } from 'react-admin';
import { HeightsInput } from './HeightsInput';

/** A tier's inputs, in the create form and in the edit page's first tab. */
export function TierInputs() {
  return (
    <>
      <TextInput source="name" validate={[required(), maxLength(64)]} />
      <HeightsInput />
      <BooleanInput source="originalLink" label="Link to the original" />
      <BooleanInput source="expiringLinks" label="Expiring links" />
    </>
  );
}

export function TierForm() {
  return (
    <SimpleForm>
      <TierInputs />
    </SimpleForm>
  );
}

import { BooleanInput, required, SimpleForm, TextInput, maxLength } from 'react-admin';
import { HeightsInput } from './HeightsInput';

export function TierForm() {
  return (
    <SimpleForm>
      <TextInput source="name" validate={[required(), maxLength(64)]} />
      <HeightsInput />
      <BooleanInput source="originalLink" label="Link to the original" />
      <BooleanInput source="expiringLinks" label="Expiring links" />
    </SimpleForm>
  );
}

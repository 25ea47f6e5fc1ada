import { BooleanInput, PasswordInput, ReferenceInput, required, SelectInput, SimpleForm, TextInput, minLength, maxLength, regex } from 'react-admin';

const username = [required(), maxLength(64), regex(/^[A-Za-z0-9][A-Za-z0-9._@-]*$/, 'Letters, digits and . _ @ -, starting with a letter or digit')];

/** A user's inputs. `creating`: the password is required; on edit an empty one keeps the current password. */
export function UserInputs({ creating }: { creating: boolean }) {
  return (
    <>
      <TextInput source="username" validate={username} />
      <PasswordInput
        source="password"
        validate={creating ? [required(), minLength(8), maxLength(256)] : [minLength(8), maxLength(256)]}
        helperText={creating ? '8 to 256 characters' : 'Leave empty to keep the current password; a new one signs the user out'}
        autoComplete="new-password"
      />
      <ReferenceInput source="tierId" reference="tiers" sort={{ field: 'name', order: 'ASC' }}>
        <SelectInput optionText="name" label="Tier" validate={required()} />
      </ReferenceInput>
      <BooleanInput source="isAdmin" label="Admin" />
    </>
  );
}

export function UserForm({ creating }: { creating: boolean }) {
  return (
    <SimpleForm>
      <UserInputs creating={creating} />
    </SimpleForm>
  );
}

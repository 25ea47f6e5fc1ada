import { BooleanInput, FormDataConsumer, NumberInput, required, SimpleForm, TextInput, maxLength } from 'react-admin';
import { HeightsInput } from './HeightsInput';
import { formatBytes, validateLimit } from './limits';

/** The byte limit as people read it, under the field; the field itself takes whole bytes, as the API does. */
function BytesHint() {
  return (
    <FormDataConsumer<{ maxBytes?: unknown }>>
      {({ formData }) => {
        const bytes = formData.maxBytes;
        return typeof bytes === 'number' && validateLimit(bytes) === undefined ? `${formatBytes(bytes)} of originals` : 'Empty: no limit';
      }}
    </FormDataConsumer>
  );
}

/** A tier's inputs, in the create form and in the edit page's first tab. */
export function TierInputs() {
  return (
    <>
      <TextInput source="name" validate={[required(), maxLength(64)]} />
      <HeightsInput />
      <BooleanInput source="originalLink" label="Link to the original" />
      <BooleanInput source="expiringLinks" label="Expiring links" />
      {/* quotas per user; empty is no limit. No min/step: the browser would refuse with its own bubble instead of the message beside the field */}
      <NumberInput source="maxImages" label="Max images per user" validate={validateLimit} helperText="Empty: no limit" />
      <NumberInput source="maxBytes" label="Max bytes per user" validate={validateLimit} helperText={<BytesHint />} />
      <NumberInput source="uploadsPerHour" label="Uploads per hour" validate={validateLimit} helperText="New images per user in any hour; empty: no limit" />
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

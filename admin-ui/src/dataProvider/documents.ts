import { graphql } from '../gql';

// Every operation the app sends, typed against schema.graphql by `pnpm codegen`.

export const TierFields = graphql(`
  fragment TierFields on Tier {
    id
    name
    thumbnailHeights
    originalLink
    expiringLinks
    maxImages
    maxBytes
    uploadsPerHour
    builtin
    userCount
    createdAt
    updatedAt
  }
`);

export const TiersQuery = graphql(`
  query Tiers($offset: Int, $limit: Int, $sort: TierSort, $filter: TierFilter) {
    tiers(offset: $offset, limit: $limit, sort: $sort, filter: $filter) {
      nodes {
        ...TierFields
      }
      totalCount
    }
  }
`);

export const TierQuery = graphql(`
  query Tier($id: ID!) {
    tier(id: $id) {
      ...TierFields
    }
  }
`);

export const CreateTierMutation = graphql(`
  mutation CreateTier($input: CreateTierInput!) {
    createTier(input: $input) {
      ...TierFields
    }
  }
`);

export const UpdateTierMutation = graphql(`
  mutation UpdateTier($id: ID!, $input: UpdateTierInput!) {
    updateTier(id: $id, input: $input) {
      ...TierFields
    }
  }
`);

export const DeleteTierMutation = graphql(`
  mutation DeleteTier($id: ID!) {
    deleteTier(id: $id)
  }
`);

export const UserFields = graphql(`
  fragment UserFields on User {
    id
    username
    isAdmin
    createdAt
    updatedAt
    tier {
      id
      name
    }
    usage {
      images
      bytes
      uploadsLastHour
    }
  }
`);

export const UsersQuery = graphql(`
  query Users($offset: Int, $limit: Int, $sort: UserSort, $filter: UserFilter) {
    users(offset: $offset, limit: $limit, sort: $sort, filter: $filter) {
      nodes {
        ...UserFields
      }
      totalCount
    }
  }
`);

export const UserQuery = graphql(`
  query User($id: ID!) {
    user(id: $id) {
      ...UserFields
    }
  }
`);

export const CreateUserMutation = graphql(`
  mutation CreateUser($input: CreateUserInput!) {
    createUser(input: $input) {
      ...UserFields
    }
  }
`);

export const UpdateUserMutation = graphql(`
  mutation UpdateUser($id: ID!, $input: UpdateUserInput!) {
    updateUser(id: $id, input: $input) {
      ...UserFields
    }
  }
`);

export const DeleteUserMutation = graphql(`
  mutation DeleteUser($id: ID!) {
    deleteUser(id: $id)
  }
`);

export const ImagesQuery = graphql(`
  query AdminImages($offset: Int, $limit: Int, $sort: ImageSort, $filter: ImageFilter) {
    adminImages(offset: $offset, limit: $limit, sort: $sort, filter: $filter) {
      nodes {
        id
        filename
        format
        width
        height
        bytes
        createdAt
        owner {
          id
          username
        }
        thumbnails {
          size
          width
          height
          url
        }
        placeholder {
          dominantColor
        }
      }
      totalCount
    }
  }
`);

// the fields the user page shows; the URL stays out of the admin app, which has no use for it
export const ExpiringLinksQuery = graphql(`
  query ExpiringLinks($ownerId: ID, $imageId: ID, $first: Int, $after: String) {
    expiringLinks(ownerId: $ownerId, imageId: $imageId, first: $first, after: $after) {
      edges {
        node {
          id
          size
          createdAt
          expiresAt
          image {
            id
            filename
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
      totalCount
    }
  }
`);

export const RevokeExpiringLinkMutation = graphql(`
  mutation RevokeExpiringLink($id: ID!) {
    revokeExpiringLink(id: $id) {
      id
      revokedAt
    }
  }
`);

export const RotateImageLinksMutation = graphql(`
  mutation RotateImageLinks($imageId: ID!) {
    rotateImageLinks(imageId: $imageId) {
      id
    }
  }
`);

// everything but the secret, which the server shows only to whoever created the token, once
export const AccessTokensQuery = graphql(`
  query AccessTokens($userId: ID) {
    accessTokens(userId: $userId) {
      id
      name
      createdAt
      expiresAt
      lastUsedAt
    }
  }
`);

export const RevokeAccessTokenMutation = graphql(`
  mutation RevokeAccessToken($id: ID!) {
    revokeAccessToken(id: $id)
  }
`);

export const AuditEventsQuery = graphql(`
  query AuditEvents($offset: Int, $limit: Int, $sort: AuditEventSort, $filter: AuditEventFilter) {
    auditEvents(offset: $offset, limit: $limit, sort: $sort, filter: $filter) {
      nodes {
        id
        occurredAt
        actorId
        actorName
        action
        targetType
        targetId
        before
        after
        requestId
        clientAddress
      }
      totalCount
    }
  }
`);

export const AdminStatsQuery = graphql(`
  query AdminStats {
    adminStats {
      generatedAt
      totals {
        images
        originalBytes
        thumbnailBytes
        users
      }
      uploadsPerDay {
        day
        images
        bytes
      }
      tiers {
        tier {
          id
          name
          thumbnailHeights
        }
        users
        images
        originalBytes
        thumbnailBytes
        imagesOutOfStep
      }
      jobs {
        queued
        running
        failed
        queues {
          queue
          queued
          running
          failed
        }
      }
      topUsers {
        user {
          id
          username
        }
        images
        bytes
      }
    }
  }
`);

export const LoginMutation = graphql(`
  mutation Login($username: String!, $password: String!) {
    login(username: $username, password: $password) {
      token
      expiresAt
      user {
        id
        username
        isAdmin
      }
    }
  }
`);

export const LogoutMutation = graphql(`
  mutation Logout {
    logout
  }
`);

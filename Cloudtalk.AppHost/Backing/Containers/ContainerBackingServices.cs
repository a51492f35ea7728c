namespace Cloudtalk.AppHost.Backing.Containers;

/// <summary>
/// The standard Aspire container resources: data volumes, generated passwords (Aspire parameters),
/// and user names that are not the images' well-known defaults.
/// </summary>
/// <remarks>
/// This is also what publish mode uses, so it shapes <c>aspire-manifest.json</c> and what <c>azd up</c> deploys:
/// the user names are published as parameter defaults (so a deployment does not prompt for them), the
/// passwords stay generated secrets, and the volume names are fixed so that the manifest does not depend on
/// the folder the AppHost was built in.
/// </remarks>
public static class ContainerBackingServices
{
    /// <summary>The user name of PostgreSQL and RabbitMQ; not the images' defaults (postgres, guest).</summary>
    public const string DefaultUserName = "cloudtalk";

    public static BackingServices AddContainerBackingServices(this IDistributedApplicationBuilder builder)
    {
        var postgresUser = builder.AddParameter(
            "postgres-username", DefaultUserName, publishValueAsDefault: true);
        var postgres = builder.AddPostgres("postgres", userName: postgresUser)
            .WithDataVolume("cloudtalk-postgres-data");
        var apiDatabase = postgres.AddDatabase(BackingServices.ApiDatabaseName, "cloudtalk_api");
        var ratingDatabase = postgres.AddDatabase(BackingServices.RatingDatabaseName, "cloudtalk_rating");

        var rabbitUser = builder.AddParameter(
            "messaging-username", DefaultUserName, publishValueAsDefault: true);
        var messaging = builder.AddRabbitMQ(BackingServices.MessagingName, userName: rabbitUser)
            .WithDataVolume("cloudtalk-messaging-data")
            .WithManagementPlugin();

        var cache = builder.AddRedis(BackingServices.CacheName)
            .WithDataVolume("cloudtalk-cache-data");

        return new BackingServices(apiDatabase, ratingDatabase, messaging, cache);
    }
}

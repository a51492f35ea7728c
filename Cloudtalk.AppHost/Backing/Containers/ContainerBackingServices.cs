namespace Cloudtalk.AppHost.Backing.Containers;

/// <summary>
/// The standard Aspire container resources: data volumes, generated passwords (Aspire parameters),
/// and user names that are not the images' well-known defaults.
/// </summary>
public static class ContainerBackingServices
{
    public static BackingServices AddContainerBackingServices(this IDistributedApplicationBuilder builder)
    {
        var postgresUser = builder.AddParameter("postgres-username", "cloudtalk");
        var postgres = builder.AddPostgres("postgres", userName: postgresUser)
            .WithDataVolume();
        var apiDatabase = postgres.AddDatabase(BackingServices.ApiDatabaseName, "cloudtalk_api");
        var ratingDatabase = postgres.AddDatabase(BackingServices.RatingDatabaseName, "cloudtalk_rating");

        var rabbitUser = builder.AddParameter("messaging-username", "cloudtalk");
        var messaging = builder.AddRabbitMQ(BackingServices.MessagingName, userName: rabbitUser)
            .WithDataVolume()
            .WithManagementPlugin();

        var cache = builder.AddRedis(BackingServices.CacheName);

        return new BackingServices(apiDatabase, ratingDatabase, messaging, cache);
    }
}

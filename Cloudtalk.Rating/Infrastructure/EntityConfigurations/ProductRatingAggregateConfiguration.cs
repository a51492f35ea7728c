using Cloudtalk.Rating.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Cloudtalk.Rating.Infrastructure.EntityConfigurations;

public sealed class ProductRatingAggregateConfiguration : IEntityTypeConfiguration<ProductRatingAggregate>
{
    public const string TableName = "product_rating_aggregates";

    public void Configure(EntityTypeBuilder<ProductRatingAggregate> builder)
    {
        builder.ToTable(TableName, table =>
        {
            table.HasCheckConstraint("ck_product_rating_aggregates_count", "review_count >= 0");
            table.HasCheckConstraint("ck_product_rating_aggregates_sum", "rating_sum BETWEEN review_count AND 5 * review_count");
        });
        builder.HasKey(aggregate => aggregate.ProductId);
        builder.Property(aggregate => aggregate.ProductId).HasColumnName("product_id").ValueGeneratedNever();
        builder.Property(aggregate => aggregate.ReviewCount).HasColumnName("review_count");
        builder.Property(aggregate => aggregate.RatingSum).HasColumnName("rating_sum");
        builder.Property(aggregate => aggregate.Version).HasColumnName("version");
        builder.Property(aggregate => aggregate.IsDeleted).HasColumnName("is_deleted");
        builder.Ignore(aggregate => aggregate.AverageRating);
    }
}

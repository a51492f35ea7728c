using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Cloudtalk.Api.Products;

public sealed class ProductEntityConfiguration : IEntityTypeConfiguration<Product>
{
    public void Configure(EntityTypeBuilder<Product> builder)
    {
        builder.ToTable("products");
        // Lists page by id ascending: the primary key index serves them.
        builder.HasKey(product => product.Id);
        builder.Property(product => product.Id).UseIdentityAlwaysColumn();
        builder.Property(product => product.Name).HasMaxLength(ProductRules.NameMaxLength);
        builder.Property(product => product.Description).HasMaxLength(ProductRules.DescriptionMaxLength);
        // 0..1,000,000,000 with at most 2 decimals: exact, never a float.
        builder.Property(product => product.Price).HasPrecision(12, 2);
        builder.Property(product => product.AverageRating).HasDefaultValue(0d);
        builder.Property(product => product.ReviewCount).HasDefaultValue(0);
        builder.Property(product => product.RatingVersion).HasDefaultValue(0L);
    }
}

#pragma once
// A certificate authority made at test time with the OpenSSL C API, and leaf
// certificates for the HTTPS tests, written as PEM files into a TempDir.

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace omswatch::net::testing {

struct KeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertDeleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyDeleter>;
using CertPtr = std::unique_ptr<X509, CertDeleter>;

struct CertFiles {
  std::string cert;  // PEM certificate
  std::string key;   // PEM private key
};

class TestPki {
 public:
  TestPki() {
    ca_key_ = make_key();
    ca_cert_ = make_cert(ca_key_.get(), "omswatch test CA", "", nullptr, nullptr, true);
    ca_file_ = write_cert(ca_cert_.get(), "ca.pem");
  }

  const std::string& ca_file() const { return ca_file_; }

  // A server certificate signed by this CA, valid for `subject_alt_names`
  // ("DNS:localhost,IP:127.0.0.1").
  CertFiles issue(const std::string& name, const std::string& subject_alt_names) {
    auto key = make_key();
    auto cert = make_cert(key.get(), name, subject_alt_names, ca_cert_.get(), ca_key_.get(), false);
    return {write_cert(cert.get(), name + ".pem"), write_key(key.get(), name + ".key")};
  }

  // A certificate that signs itself: trusted by nobody.
  CertFiles self_signed(const std::string& name, const std::string& subject_alt_names) {
    auto key = make_key();
    auto cert = make_cert(key.get(), name, subject_alt_names, nullptr, nullptr, false);
    return {write_cert(cert.get(), name + ".pem"), write_key(key.get(), name + ".key")};
  }

 private:
  static KeyPtr make_key() {
    KeyPtr key(EVP_EC_gen("P-256"));
    if (!key) throw std::runtime_error("EVP_EC_gen failed");
    return key;
  }

  CertPtr make_cert(EVP_PKEY* key, const std::string& common_name, const std::string& alt_names,
                    X509* issuer, EVP_PKEY* issuer_key, bool is_ca) {
    CertPtr cert(X509_new());
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), ++serial_);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
    X509_set_pubkey(cert.get(), key);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                               0);
    X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);

    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
    std::vector<std::pair<int, std::string>> extensions;
    if (is_ca) {
      extensions = {{NID_basic_constraints, "critical,CA:TRUE"},
                    {NID_key_usage, "critical,keyCertSign,cRLSign"},
                    {NID_subject_key_identifier, "hash"}};
    } else {
      extensions = {{NID_basic_constraints, "critical,CA:FALSE"},
                    {NID_key_usage, "critical,digitalSignature"},
                    {NID_ext_key_usage, "serverAuth"},
                    {NID_subject_key_identifier, "hash"}};
      if (issuer) extensions.push_back({NID_authority_key_identifier, "keyid:always"});
      if (!alt_names.empty()) extensions.push_back({NID_subject_alt_name, alt_names});
    }
    for (const auto& [nid, value] : extensions) {
      X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
      if (!ext) throw std::runtime_error("bad extension " + value);
      X509_add_ext(cert.get(), ext, -1);
      X509_EXTENSION_free(ext);
    }
    if (!X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256())) {
      throw std::runtime_error("X509_sign failed");
    }
    return cert;
  }

  std::string write_cert(X509* cert, const std::string& name) {
    auto path = dir_.file(name);
    BIO* bio = BIO_new_file(path.c_str(), "w");
    if (!bio || !PEM_write_bio_X509(bio, cert)) throw std::runtime_error("cannot write " + path);
    BIO_free(bio);
    return path;
  }

  std::string write_key(EVP_PKEY* key, const std::string& name) {
    auto path = dir_.file(name);
    BIO* bio = BIO_new_file(path.c_str(), "w");
    if (!bio || !PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr)) {
      throw std::runtime_error("cannot write " + path);
    }
    BIO_free(bio);
    return path;
  }

  omswatch::testing::TempDir dir_;
  KeyPtr ca_key_;
  CertPtr ca_cert_;
  std::string ca_file_;
  long serial_ = 0;
};

}  // namespace omswatch::net::testing
